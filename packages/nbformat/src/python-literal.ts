import { pythonFloatRepr, readPythonEscape } from './python.js';
import { JsonFloat, type JsonValue, type PlainValue } from './types.js';

/**
 * Python literals read without running Python, as `ast.literal_eval` reads them: the `upstream = [...]` assignment
 * of a pipeline task's parameters cell (Ploomber evaluates it; we only parse it), rendered env.yaml values, and the
 * values of jupytext's cell metadata on marker lines.
 */

/** A literal that is not one; `offset` is where reading stopped, relative to the text given. */
export class PythonLiteralError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A top-level `name = <literal>` found in a cell: its value and the 0-based line of the assignment. */
export interface Assignment {
  value: PlainValue;
  line: number;
}

/**
 * Find the top-level assignment to `name` in Python source and read its right-hand side as a literal
 * (strings, numbers, True/False/None, lists, tuples, sets, dicts). The last assignment wins, as it
 * would at run time. Undefined when there is none; a PythonLiteralError (with the offset into
 * `source`) when the right-hand side is not a literal.
 */
export function findLiteralAssignment(source: string, name: string): Assignment | undefined {
  const pattern = new RegExp(`^${name}[ \\t]*(?::[^=\\n]*)?=(?!=)`, 'gm');
  let found: Assignment | undefined;
  for (let m = pattern.exec(source); m; m = pattern.exec(source)) {
    const start = m.index + m[0].length;
    const reader = new LiteralReader(source, start);
    const value = reader.readExpression() as PlainValue; // without exactNumbers, every number is a plain one
    reader.expectEndOfStatement();
    found = { value, line: lineOf(source, m.index) };
  }
  return found;
}

/**
 * Parse a whole string as one Python literal, like `ast.literal_eval`. With `exactNumbers`, a float whose JavaScript
 * spelling is not Python's (`1.0`) and an integer beyond 2^53 come as a JsonFloat that keeps Python's spelling, so that
 * writing the value back gives the same text.
 */
export function parsePythonLiteral(text: string): PlainValue;
export function parsePythonLiteral(text: string, options: { exactNumbers: true }): JsonValue;
export function parsePythonLiteral(text: string, options: { exactNumbers?: boolean } = {}): JsonValue {
  const reader = new LiteralReader(text, 0, options.exactNumbers ?? false);
  const value = reader.readExpression();
  reader.skipSpace(true);
  if (reader.pos < text.length) throw new PythonLiteralError('unexpected text after the value', reader.pos);
  return value;
}

function lineOf(text: string, offset: number): number {
  let line = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

const CLOSERS: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

class LiteralReader {
  constructor(
    readonly text: string,
    public pos: number,
    private readonly exactNumbers = false,
  ) {}

  private fail(what: string): never {
    throw new PythonLiteralError(what, this.pos);
  }

  /** Skip spaces and comments; newlines only inside brackets (or when `newlines`), line continuations always. */
  skipSpace(newlines: boolean): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\f' || c === '\r') this.pos++;
      else if (c === '\\' && t[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '\n' && newlines) this.pos++;
      else if (c === '#' && newlines) {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else break;
    }
  }

  /** What follows the value on its line may only be a comment. */
  expectEndOfStatement(): void {
    this.skipSpace(false);
    const c = this.text[this.pos];
    if (c === undefined || c === '\n' || c === '#' || c === ';') return;
    this.fail(
      'the value is not a literal (only strings, numbers, True/False/None, lists, tuples, sets and dicts are read)',
    );
  }

  /** An expression statement's value: a literal, or a bare tuple `'a', 'b'`. */
  readExpression(): JsonValue {
    this.skipSpace(false);
    const first = this.readValue(false);
    this.skipSpace(false);
    if (this.text[this.pos] !== ',') return first;
    const items = [first];
    while (this.text[this.pos] === ',') {
      this.pos++;
      this.skipSpace(false);
      const c = this.text[this.pos];
      if (c === undefined || c === '\n' || c === '#' || c === ';') break;
      items.push(this.readValue(false));
      this.skipSpace(false);
    }
    return items;
  }

  readValue(inBrackets: boolean): JsonValue {
    this.skipSpace(inBrackets);
    const t = this.text;
    const c = t[this.pos];
    if (c === undefined) this.fail('expected a value');
    if (c === '[' || c === '(' || c === '{') return this.readCollection(c);
    if (c === '-' || c === '+') {
      this.pos++;
      this.skipSpace(inBrackets);
      const n = this.readValue(inBrackets);
      if (n instanceof JsonFloat)
        return c === '-' ? new JsonFloat(-n.value, n.raw.startsWith('-') ? n.raw.slice(1) : `-${n.raw}`) : n;
      if (typeof n !== 'number') this.fail('expected a number after the sign');
      return c === '-' ? -n : n;
    }
    if (/[0-9.]/.test(c)) return this.readNumber();
    const word = /^[A-Za-z_][A-Za-z_0-9]*/.exec(t.slice(this.pos, this.pos + 64))?.[0];
    if (word !== undefined) {
      const quote = t[this.pos + word.length];
      if ((quote === '"' || quote === "'") && /^[rRuUbBfF]{1,2}$/.test(word)) return this.readStrings();
      this.pos += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      this.pos -= word.length;
      this.fail(`"${word}" is not a literal`);
    }
    if (c === '"' || c === "'") return this.readStrings();
    this.fail('expected a literal value');
  }

  private readCollection(open: string): JsonValue {
    const close = CLOSERS[open]!;
    this.pos++;
    const items: JsonValue[] = [];
    const dict: Record<string, JsonValue> = {};
    let kind: 'list' | 'dict' | 'set' | undefined = open === '{' ? undefined : 'list';
    let sawComma = false;
    for (;;) {
      this.skipSpace(true);
      if (this.text[this.pos] === close) {
        this.pos++;
        break;
      }
      const value = this.readValue(true);
      this.skipSpace(true);
      if (open === '{') {
        if (this.text[this.pos] === ':') {
          if (kind === 'set') this.fail('mixed set and dict items');
          kind = 'dict';
          this.pos++;
          const item = this.readValue(true);
          if (
            typeof value !== 'string' &&
            typeof value !== 'number' &&
            typeof value !== 'boolean' &&
            value !== null &&
            !(value instanceof JsonFloat)
          )
            this.fail('dict keys must be strings or numbers');
          dict[String(value)] = item;
          this.skipSpace(true);
        } else {
          if (kind === 'dict') this.fail('expected ":" in a dict');
          kind = 'set';
          items.push(value);
        }
      } else items.push(value);
      const next = this.text[this.pos];
      if (next === ',') {
        sawComma = true;
        this.pos++;
        continue;
      }
      if (next === close) {
        this.pos++;
        break;
      }
      this.fail(`expected "," or "${close}"`);
    }
    // `(x)` is just x; `(x,)` is a tuple.
    if (open === '(' && items.length === 1 && !sawComma) return items[0]!;
    return kind === 'dict' || (open === '{' && kind === undefined) ? dict : items;
  }

  private readNumber(): number | JsonFloat {
    const m =
      /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)[jJ]?/.exec(
        this.text.slice(this.pos, this.pos + 100),
      );
    const raw = m?.[0] ?? '';
    if (raw === '' || raw === '.' || /[jJ]$/.test(raw)) this.fail('expected a number');
    this.pos += raw.length;
    const digits = raw.replace(/_/g, '');
    const radix = /^0[xX]/.test(digits) ? 16 : /^0[oO]/.test(digits) ? 8 : /^0[bB]/.test(digits) ? 2 : 10;
    const n = radix === 10 ? Number(digits) : parseInt(digits.slice(2), radix);
    if (!this.exactNumbers) return n;
    if (radix !== 10 || !/[.eE]/.test(digits))
      return Number.isSafeInteger(n)
        ? n
        : new JsonFloat(n, BigInt(radix === 10 ? digits : raw.replace(/_/g, '')).toString());
    const repr = pythonFloatRepr(n);
    return String(n) === repr ? n : new JsonFloat(n, repr);
  }

  /** One string literal or several adjacent ones (Python concatenates them). */
  private readStrings(): string {
    let out = '';
    for (;;) {
      out += this.readString();
      const save = this.pos;
      this.skipSpace(false);
      const c = this.text[this.pos];
      const prefixed = /^[rRuUbB]{1,2}['"]/.test(this.text.slice(this.pos, this.pos + 3));
      if (c !== '"' && c !== "'" && !prefixed) {
        this.pos = save;
        return out;
      }
    }
  }

  private readString(): string {
    const t = this.text;
    let prefix = '';
    while (/[rRuUbBfF]/.test(t[this.pos]!)) prefix += t[this.pos++]!;
    if (/[fF]/.test(prefix)) this.fail('f-strings are not literals');
    const raw = /[rR]/.test(prefix);
    const q = t[this.pos]!;
    const triple = t.startsWith(q.repeat(3), this.pos);
    const delim = triple ? q.repeat(3) : q;
    this.pos += delim.length;
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      if (t.startsWith(delim, this.pos)) {
        this.pos += delim.length;
        return out;
      }
      const c = t[this.pos]!;
      if (c === '\n' && !triple) this.fail('unterminated string');
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const e = t[this.pos + 1];
      if (raw) {
        out += '\\' + (e ?? '');
        this.pos += 2;
        continue;
      }
      const escape = readPythonEscape(t, this.pos + 1);
      if (!escape) this.fail('bad escape in string');
      out += escape.value;
      this.pos = escape.end;
    }
  }
}
