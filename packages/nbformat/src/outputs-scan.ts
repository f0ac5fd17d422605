/**
 * Where each cell's `outputs` lie in a notebook's bytes, found without decoding or parsing them.
 *
 * Outputs are most of a notebook's bytes (images, HTML tables) and stripping discards them, so decoding and parsing
 * them would be most of the work. This scanner checks the JSON grammar of the whole document (brackets, commas,
 * colons, literals, numbers) while jumping over string contents with a native byte search, and reports the byte
 * range of every `cells[i].outputs` array, so that the rest can be parsed on its own. It does not look inside
 * strings (escapes, raw control characters): those are parsed, and so checked, only where they are kept.
 */

import { MAX_JSON_DEPTH, parseJson } from './json.js';
import type { JsonValue } from './types.js';

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
const LITERALS = ['NaN', 'Infinity', '-Infinity'];
const [TRUE, FALSE, NULL, CELLS, OUTPUTS] = ['true', 'false', 'null', 'cells', 'outputs'].map((word) =>
  Buffer.from(word),
);
/** Numbers JSON.parse reads exactly as Python does. */
const PLAIN_TOKEN = /^-?\d{1,15}$/;

/** Thrown inside the scanner on malformed input; the caller falls back to the full parser, which reports it. */
class Malformed extends Error {}

class Scanner {
  exactNumbers = false;
  inOutputs = false;
  /**
   * Containers open around the current value. Starts as deep as a cell's members (the notebook, `cells`, the cell),
   * which scanOutputs opens without value(): never less than the true depth, so nothing parseJson rejects gets through.
   */
  depth = 3;
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

  /** Skip the string at the current quote. */
  string(): void {
    const buf = this.buf;
    const open = this.pos;
    // Most strings are short (a line of text): a byte loop beats a native search call; long ones use the search.
    const near = Math.min(buf.length, open + 64);
    let i = open + 1;
    for (; i < near; i++) {
      const c = buf[i]!;
      if (c === QUOTE) {
        this.pos = i + 1;
        return;
      }
      if (c === BACKSLASH) i++;
    }
    for (let from = i; ;) {
      const q = buf.indexOf(QUOTE, from);
      if (q < 0) throw new Malformed();
      let backslashes = 0;
      for (let k = q - 1; k > open && buf[k] === BACKSLASH; k--) backslashes++;
      if (backslashes % 2 === 0) {
        this.pos = q + 1;
        return;
      }
      from = q + 1;
    }
  }

  /** Skip a key, telling whether it is `name` (an ASCII word); compared in place, decoded only if escaped. */
  keyIs(name: Buffer): boolean {
    const start = this.pos + 1;
    this.string();
    const end = this.pos - 1;
    const buf = this.buf;
    for (let k = start; k < end; k++) {
      if (buf[k] === BACKSLASH) {
        try {
          return JSON.parse(buf.toString('utf8', start - 1, end + 1)) === name.toString('latin1');
        } catch {
          throw new Malformed();
        }
      }
    }
    if (end - start !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (buf[start + k] !== name[k]) return false;
    return true;
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
    this.pos = pos;
    // true, false, null: checked without making a string.
    const first = buf[start];
    if (first === 0x74 || first === 0x66 || first === 0x6e) {
      const literal = first === 0x74 ? TRUE : first === 0x66 ? FALSE : NULL;
      if (pos - start !== literal.length || !buf.subarray(start, pos).equals(literal)) throw new Malformed();
      return;
    }
    const token = buf.toString('latin1', start, pos);
    if (!NUMBER.test(token) && !LITERALS.includes(token)) throw new Malformed();
    if (!this.inOutputs && !PLAIN_TOKEN.test(token)) this.exactNumbers = true;
  }

  value(): void {
    const c = this.ws();
    if (c === QUOTE) this.string();
    else if (c === 0x7b || c === 0x5b) {
      // Deeper than parseJson reads: the full parser reports it.
      if (++this.depth > MAX_JSON_DEPTH) throw new Malformed();
      if (c === 0x7b) this.object();
      else this.array();
      this.depth--;
    } else if (c < 0) throw new Malformed();
    else this.scalar();
  }

  /** Skip an object; for the key `name`, `member` (when given) consumes the value instead. */
  object(name?: Buffer, member?: () => void): void {
    this.pos++; // {
    if (this.ws() === 0x7d) return void this.pos++;
    for (;;) {
      if (this.ws() !== QUOTE) throw new Malformed();
      let wanted = false;
      if (name) wanted = this.keyIs(name);
      else this.string();
      if (this.ws() !== 0x3a) throw new Malformed();
      this.pos++;
      if (wanted) member!();
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
    scanner.object(CELLS, () => {
      // A repeated "cells" key: the last one wins, as in JSON.parse.
      const cells = (ranges = new Map<number, OutputsRange>());
      if (scanner.ws() !== 0x5b) return scanner.value();
      scanner.array((index) => {
        if (scanner.ws() !== 0x7b) return scanner.value();
        scanner.object(OUTPUTS, () => {
          if (scanner.ws() !== 0x5b) return scanner.value();
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

const EMPTY_ARRAY = Buffer.from('[]');

/** The document `scan` was made of, parsed with every cell's `outputs` read as `[]`; undefined if that does not parse. */
export function parseWithOutputsEmptied(buf: Buffer, scan: OutputsScan): JsonValue | undefined {
  const parts: Buffer[] = [];
  let at = buf[0] === 0xef ? 3 : 0; // the scanner accepted a UTF-8 BOM
  for (const range of scan.ranges.values()) {
    parts.push(buf.subarray(at, range.start), EMPTY_ARRAY);
    at = range.end;
  }
  parts.push(buf.subarray(at));
  const rest = Buffer.concat(parts).toString('utf8');
  try {
    return scan.exactNumbers ? parseJson(rest) : (JSON.parse(rest) as JsonValue);
  } catch {
    return undefined;
  }
}
