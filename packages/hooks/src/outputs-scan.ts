/**
 * Where each cell's `outputs` lie in a notebook's bytes, found without decoding or parsing them.
 *
 * Outputs are most of a notebook's bytes (images, HTML tables) and stripping discards them, so decoding and parsing
 * them would be most of the work. This scanner checks the JSON grammar of the whole document (brackets, commas,
 * colons, literals, numbers) while jumping over string contents with a native byte search, and reports the byte
 * range of every `cells[i].outputs` array, so that the rest can be parsed on its own. It does not look inside
 * strings (escapes, raw control characters): those are parsed, and so checked, only where they are kept.
 */

/** The `outputs` array of one cell: bytes [start, end), and whether it holds anything. */
export interface OutputsRange {
  start: number;
  end: number;
  empty: boolean;
}

export interface OutputsScan {
  /** By cell index. */
  ranges: Map<number, OutputsRange>;
  /** Whether the rest holds numbers that only nbformat's parseJson reads exactly (plain JSON.parse is enough otherwise). */
  exactNumbers: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS = ['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity'];
/** Tokens JSON.parse reads exactly as Python does. */
const PLAIN_TOKEN = /^(?:-?\d{1,15}|true|false|null)$/;

/** Thrown inside the scanner on malformed input; the caller falls back to the full parser, which reports it. */
class Malformed extends Error {}

class Scanner {
  exactNumbers = false;
  inOutputs = false;
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  /** Skip whitespace; the next byte, or -1 at the end. */
  ws(): number {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < buf.length && isSpace(buf[pos]!)) pos++;
    this.pos = pos;
    return pos < buf.length ? buf[pos]! : -1;
  }

  /** Skip the string at the current quote; returns its content's range. */
  string(): [number, number] {
    const buf = this.buf;
    const open = this.pos;
    for (let from = open + 1; ; ) {
      const q = buf.indexOf(QUOTE, from);
      if (q < 0) throw new Malformed();
      let backslashes = 0;
      for (let k = q - 1; k > open && buf[k] === BACKSLASH; k--) backslashes++;
      if (backslashes % 2 === 0) {
        this.pos = q + 1;
        return [open + 1, q];
      }
      from = q + 1;
    }
  }

  key(): string {
    const [start, end] = this.string();
    if (!this.buf.subarray(start, end).includes(BACKSLASH)) return this.buf.toString('utf8', start, end);
    try {
      return JSON.parse(this.buf.toString('utf8', start - 1, end + 1)) as string;
    } catch {
      throw new Malformed();
    }
  }

  /** Skip a number or literal token. */
  scalar(): void {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    while (pos < buf.length) {
      const c = buf[pos]!;
      if (c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c)) break;
      pos++;
    }
    const token = buf.toString('latin1', start, pos);
    if (!NUMBER.test(token) && !LITERALS.includes(token)) throw new Malformed();
    if (!this.inOutputs && !PLAIN_TOKEN.test(token)) this.exactNumbers = true;
    this.pos = pos;
  }

  value(): void {
    const c = this.ws();
    if (c === QUOTE) this.string();
    else if (c === 0x7b) this.object();
    else if (c === 0x5b) this.array();
    else if (c < 0) throw new Malformed();
    else this.scalar();
  }

  /** Skip an object; `member(key)`, when given, must consume each member's value (keys are decoded only then). */
  object(member?: (key: string) => void): void {
    this.pos++; // {
    if (this.ws() === 0x7d) return void this.pos++;
    for (;;) {
      if (this.ws() !== QUOTE) throw new Malformed();
      const key = member ? this.key() : (this.string(), '');
      if (this.ws() !== 0x3a) throw new Malformed();
      this.pos++;
      if (member) member(key);
      else this.value();
      const c = this.ws();
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) throw new Malformed();
    }
  }

  /** Skip an array; `element(index)`, when given, must consume each element. */
  array(element?: (index: number) => void): void {
    this.pos++; // [
    if (this.ws() === 0x5d) return void this.pos++;
    for (let index = 0; ; index++) {
      if (element) element(index);
      else this.value();
      const c = this.ws();
      this.pos++;
      if (c === 0x5d) return;
      if (c !== 0x2c) throw new Malformed();
    }
  }
}

/**
 * The `outputs` ranges of the top-level `cells` array; undefined when the bytes are not a well-formed JSON object
 * (the caller's full parser then reports the problem with its line and column).
 */
export function scanOutputs(buf: Buffer): OutputsScan | undefined {
  const scanner = new Scanner(buf, buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0); // UTF-8 BOM
  let ranges = new Map<number, OutputsRange>();
  try {
    if (scanner.ws() !== 0x7b) return undefined;
    scanner.object((key) => {
      // A repeated "cells" key: the last one wins, as in JSON.parse.
      const cells = key === 'cells' ? (ranges = new Map<number, OutputsRange>()) : undefined;
      if (!cells || scanner.ws() !== 0x5b) return scanner.value();
      scanner.array((index) => {
        if (scanner.ws() !== 0x7b) return scanner.value();
        scanner.object((cellKey) => {
          if (cellKey !== 'outputs' || scanner.ws() !== 0x5b) return scanner.value();
          const start = scanner.pos;
          scanner.pos++;
          const empty = scanner.ws() === 0x5d;
          scanner.pos = start;
          scanner.inOutputs = true;
          scanner.value();
          scanner.inOutputs = false;
          cells.set(index, { start, end: scanner.pos, empty });
        });
      });
    });
    if (scanner.ws() !== -1) return undefined;
  } catch {
    // Malformed input, or nesting deeper than the stack: the full parser decides.
    return undefined;
  }
  return { ranges, exactNumbers: scanner.exactNumbers };
}
