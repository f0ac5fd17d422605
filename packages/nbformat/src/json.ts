import { JsonFloat, type JsonObject, type JsonValue } from './types.js';
import { compareCodePoints, pythonFloatRepr } from './python.js';

/** A JSON syntax error at a 0-based offset into the text. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * The deepest nesting of arrays and objects read. Python's `json.loads`, and so Jupyter, gives up at about this depth
 * (its recursion limit); deeper input would overflow the stack of every recursive reader and writer after the parse.
 */
export const MAX_JSON_DEPTH = 1000;

/** JSON nested deeper than MAX_JSON_DEPTH, at the 0-based offset of the bracket too many. */
export class JsonNestingError extends JsonSyntaxError {
  constructor(offset: number) {
    super(`nesting deeper than ${MAX_JSON_DEPTH} levels`, offset);
  }
}

/**
 * Parse JSON the way Python's `json.loads` does, keeping what JavaScript numbers cannot:
 * floats such as `1.0` or `1e-05` and integers beyond 2^53 come back as `JsonFloat` so that
 * `dumpPython` writes them as Jupyter would. `NaN`/`Infinity` are accepted, as Python accepts them.
 * The common case (no such numbers) is a single scan plus the native `JSON.parse`.
 */
export function parseJson(text: string): JsonValue {
  if (!needsExactNumbers(text)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // fall through: the exact parser reports where the problem is
    }
  }
  return new ExactParser(text).parseDocument();
}

/** How Python would write the number that `token` denotes after a load/dump round trip. */
function pythonNumberText(token: string): string {
  if (/^-?\d+$/.test(token)) return BigInt(token).toString();
  return pythonFloatRepr(Number(token));
}

function numberValue(token: string): number | JsonFloat {
  const python = pythonNumberText(token);
  const value = Number(token);
  return String(value) === python ? value : new JsonFloat(value, python);
}

const isNumberStart = (c: number) => c === 45 || (c >= 48 && c <= 57);
const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;

/**
 * Whether any number token in `text` would be written differently by JavaScript than by Python. Throws
 * JsonNestingError on nesting deeper than MAX_JSON_DEPTH met before the answer is known (the exact parser checks the rest).
 */
function needsExactNumbers(text: string): boolean {
  const n = text.length;
  let i = 0;
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > MAX_JSON_DEPTH) throw new JsonNestingError(i);
    } else if (c === 93 || c === 125) depth--;
    if (c === 34) {
      i = endOfString(text, i);
      if (i < 0) return false;
      continue;
    }
    if (isNumberStart(c)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      const token = text.slice(i, j);
      if (!/^-?\d{1,15}$/.test(token) && String(Number(token)) !== pythonNumberText(token)) return true;
      i = j;
      continue;
    }
    if (c === 78 || c === 73) return true; // NaN, Infinity (only valid outside strings)
    i++;
  }
  return false;
}

/** Offset just past the string starting at `start` (a quote), or -1 if unterminated. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

class ExactParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    this.ws();
    const value = this.value();
    this.ws();
    if (this.i < this.text.length) this.fail('unexpected data after the JSON value');
    return value;
  }

  private fail(message: string, at = this.i): never {
    throw new JsonSyntaxError(message, at);
  }

  private ws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else return;
    }
  }

  private value(): JsonValue {
    const t = this.text;
    const c = t[this.i];
    if (c === undefined) this.fail('unexpected end of JSON input');
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_JSON_DEPTH) throw new JsonNestingError(this.i);
      const value = c === '{' ? this.object() : this.array();
      this.depth--;
      return value;
    }
    if (c === '"') return this.string();
    if (c === 't' && t.startsWith('true', this.i)) return ((this.i += 4), true);
    if (c === 'f' && t.startsWith('false', this.i)) return ((this.i += 5), false);
    if (c === 'n' && t.startsWith('null', this.i)) return ((this.i += 4), null);
    if (c === 'N' && t.startsWith('NaN', this.i)) return ((this.i += 3), new JsonFloat(NaN, 'NaN'));
    if (c === 'I' && t.startsWith('Infinity', this.i)) return ((this.i += 8), new JsonFloat(Infinity, 'Infinity'));
    if (c === '-' && t.startsWith('-Infinity', this.i)) return ((this.i += 9), new JsonFloat(-Infinity, '-Infinity'));
    if (isNumberStart(c.charCodeAt(0))) return this.number();
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private number(): JsonValue {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const match = m.exec(this.text);
    if (!match) this.fail('invalid number');
    this.i += match[0].length;
    return numberValue(match[0]);
  }

  private string(): string {
    const start = this.i;
    const end = endOfString(this.text, start);
    if (end < 0) this.fail('unterminated string', start);
    const raw = this.text.slice(start, end);
    this.i = end;
    if (raw.indexOf('\\') < 0) {
      for (let k = 1; k < raw.length - 1; k++) {
        if (raw.charCodeAt(k) < 0x20) this.fail('control character in string', start + k);
      }
      return raw.slice(1, -1);
    }
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail('invalid string escape or control character', start);
    }
  }

  private array(): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.i] === ']') return (this.i++, out);
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.text[this.i];
      if (c === ',') this.i++;
      else if (c === ']') return (this.i++, out);
      else this.fail(c === undefined ? 'unexpected end of JSON input' : "expected ',' or ']'");
    }
  }

  private object(): JsonObject {
    this.i++;
    const out: JsonObject = {};
    this.ws();
    if (this.text[this.i] === '}') return (this.i++, out);
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"')
        this.fail(this.i >= this.text.length ? 'unexpected end of JSON input' : 'expected a property name');
      const key = this.string();
      this.ws();
      if (this.text[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      const value = this.value();
      if (key === '__proto__')
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.ws();
      const c = this.text[this.i];
      if (c === ',') this.i++;
      else if (c === '}') return (this.i++, out);
      else this.fail(c === undefined ? 'unexpected end of JSON input' : "expected ',' or '}'");
    }
  }
}

function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  // Fast path: plain UTF-16 ordering equals code point ordering without surrogates.
  return keys.some((k) => /[\ud800-\udfff]/.test(k)) ? keys.sort(compareCodePoints) : keys.sort();
}

/** Python `json.dumps` switches that older notebook formats (nbformat 1–3, Zeppelin) write differently. */
export interface DumpOptions {
  /** `sort_keys` (default true); false keeps insertion order. */
  sortKeys?: boolean;
  /** `ensure_ascii` (default false): escape everything outside printable ASCII as `\uXXXX`. */
  ensureAscii?: boolean;
}

/**
 * `json.dumps(value, sort_keys=True, indent=indent, ensure_ascii=False, separators=(',', ': '))`,
 * byte for byte; `indent` null is Python's `indent=None` with its default separators (`, ` and `: `, one line).
 * Keys whose value is `undefined` are skipped.
 */
export function dumpPython(value: JsonValue, indent: number | null = 1, options: DumpOptions = {}): string {
  if (
    indent !== null &&
    Number.isInteger(indent) &&
    indent > 0 &&
    indent <= 10 &&
    options.sortKeys !== false &&
    !options.ensureAscii
  ) {
    const text = dumpNative(value, indent);
    if (text !== undefined) return text;
  }
  const parts: string[] = [];
  const orderKeys = options.sortKeys === false ? Object.keys : sortedKeys;
  write(value, '');
  const text = parts.join('');
  // Python escapes DEL and all non-ASCII; JSON.stringify has already escaped the rest (lone surrogates included).
  return options.ensureAscii
    ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;

  function write(v: JsonValue | undefined, pad: string): void {
    if (v === null || v === undefined) return void parts.push('null');
    switch (typeof v) {
      case 'string':
        return void parts.push(JSON.stringify(v));
      case 'boolean':
        return void parts.push(v ? 'true' : 'false');
      case 'number':
        return void parts.push(Number.isInteger(v) ? String(v) : pythonFloatRepr(v));
    }
    if (v instanceof JsonFloat) return void parts.push(v.raw);
    const inner = indent === null ? '' : pad + ' '.repeat(indent);
    const [first, next, end] = indent === null ? ['', ', ', ''] : ['\n' + inner, ',\n' + inner, '\n' + pad];
    if (Array.isArray(v)) {
      if (v.length === 0) return void parts.push('[]');
      parts.push('[');
      for (let k = 0; k < v.length; k++) {
        parts.push(k === 0 ? first : next);
        write(v[k], inner);
      }
      parts.push(end, ']');
      return;
    }
    const obj = v as JsonObject;
    const keys = orderKeys(obj).filter((k) => obj[k] !== undefined);
    if (keys.length === 0) return void parts.push('{}');
    parts.push('{');
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      parts.push(k === 0 ? first : next, JSON.stringify(key), ': ');
      write(obj[key], inner);
    }
    parts.push(end, '}');
  }
}

// Fast path: V8's native JSON.stringify with an indent writes exactly Python's `indent=N` layout
// (",\n" and ": " separators, "[]"/"{}" when empty, the same string escapes) at several times the speed
// of building the text in JavaScript. What it cannot do is handled around it: keys are put in sorted
// order (a copy only where they are not already), floats are written as placeholders and substituted
// afterwards; objects V8 would order differently (integer-like keys), "__proto__" keys, keys with
// surrogates and non-JSON objects leave the fast path (`undefined`), so the writer above handles them.
const FLOAT_PLACEHOLDER = '\u0001nbpipe-float\u0001';
// As JSON.stringify renders it; an opening quote preceded by a space is a delimiter, never an escaped quote.
const RENDERED_FLOAT = /(?<= )"\\u0001nbpipe-float\\u0001"/g;
const UNSUPPORTED = Symbol('unsupported');
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
const SURROGATE = /[\ud800-\udfff]/;

function dumpNative(value: JsonValue, indent: number): string | undefined {
  const floats: string[] = [];
  const tree = canonicalTree(value, floats);
  if (tree === UNSUPPORTED) return undefined;
  const text = JSON.stringify(tree, null, indent);
  if (floats.length === 0) return text;
  let k = 0;
  const out = text.replace(RENDERED_FLOAT, () => floats[k++]!);
  return k === floats.length ? out : undefined;
}

/** `value` with keys in Python's order and floats as placeholders (copying only what must change), or UNSUPPORTED. */
function canonicalTree(v: unknown, floats: string[]): unknown {
  switch (typeof v) {
    case 'string':
      return v === FLOAT_PLACEHOLDER ? UNSUPPORTED : v;
    case 'number':
      if (Number.isInteger(v)) return v;
      floats.push(pythonFloatRepr(v));
      return FLOAT_PLACEHOLDER;
    case 'boolean':
    case 'undefined':
      return v;
    case 'object':
      break;
    default:
      return UNSUPPORTED;
  }
  if (v === null) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let k = 0; k < v.length; k++) {
      const item = canonicalTree(v[k], floats);
      if (item === UNSUPPORTED) return UNSUPPORTED;
      if (item !== v[k]) (copy ??= v.slice())[k] = item;
    }
    return copy ?? v;
  }
  if (v instanceof JsonFloat) {
    floats.push(v.raw);
    return FLOAT_PLACEHOLDER;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return UNSUPPORTED;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57 && INDEX_KEY.test(key)) || key === '__proto__' || key === FLOAT_PLACEHOLDER)
      return UNSUPPORTED;
    if (k > 0 && keys[k - 1]! > key) sorted = false;
  }
  if (keys.some((key) => SURROGATE.test(key))) return UNSUPPORTED;
  let copy: Record<string, unknown> | undefined;
  if (!sorted) {
    keys.sort();
    copy = {};
    for (const key of keys) copy[key] = obj[key];
  }
  for (const key of keys) {
    const item = canonicalTree(obj[key], floats);
    if (item === UNSUPPORTED) return UNSUPPORTED;
    if (item !== obj[key]) (copy ??= { ...obj })[key] = item;
  }
  return copy ?? obj;
}

/** 1-based line and column of a 0-based offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
