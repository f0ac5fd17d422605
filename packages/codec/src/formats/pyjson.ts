import { JsonFloat, parseJson, pythonFloatRepr, readPythonEscape, type JsonObject, type JsonValue } from '@nbpipe/nbformat';

/**
 * `json.dumps(value)` with Python's defaults, byte for byte: `", "` and `": "` separators, keys in
 * insertion order, non-ASCII escaped as `\uXXXX`, floats as Python prints them (`1.0`).
 */
export function pythonJsonDumps(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return asciiJsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 1e16 ? String(value) : pythonFloatRepr(value);
  }
  if (value instanceof JsonFloat) return value.raw;
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as JsonObject).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${asciiJsonString(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function asciiJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e && ch !== '"' && ch !== '\\') out += ch;
    else out += SHORT_ESCAPES[ch] ?? `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out + '"';
}

/** Thrown when a text is neither JSON nor a Python literal. */
class LiteralSyntaxError extends Error {}

/**
 * Parse a value the way jupytext reads marker options: JSON first, then a Python literal
 * (`True`, `None`, `'single quotes'`, tuples, dicts). Throws on anything else.
 */
export function parseRelaxedValue(text: string): JsonValue {
  const trimmed = text.trim();
  try {
    return parseJson(trimmed);
  } catch {
    return new PythonLiteralParser(trimmed).parseAll();
  }
}

/** Like `parseRelaxedValue`, but returns undefined instead of throwing. */
export function tryParseRelaxedValue(text: string): JsonValue | undefined {
  try {
    return parseRelaxedValue(text);
  } catch {
    return undefined;
  }
}

class PythonLiteralParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parseAll(): JsonValue {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i !== this.text.length) throw new LiteralSyntaxError('trailing text');
    return v;
  }

  private ws(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i]!)) this.i++;
  }

  private value(): JsonValue {
    const t = this.text;
    const c = t[this.i];
    if (c === undefined) throw new LiteralSyntaxError('unexpected end');
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") return this.string();
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (t.startsWith(word, this.i) && !/[\w]/.test(t[this.i + word.length] ?? '')) {
        this.i += word.length;
        return v;
      }
    }
    const m = /[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?/y;
    m.lastIndex = this.i;
    const match = m.exec(t);
    if (match) {
      this.i += match[0].length;
      const token = match[0].replace(/_/g, '').replace(/^\+/, '');
      const isFloat = /[.eE]/.test(token);
      const n = Number(token);
      if (!isFloat) return Number.isSafeInteger(n) ? n : new JsonFloat(n, BigInt(token).toString());
      const repr = pythonFloatRepr(n);
      return String(n) === repr ? n : new JsonFloat(n, repr);
    }
    throw new LiteralSyntaxError(`unexpected ${c}`);
  }

  private sequence(close: string): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] !== close) throw new LiteralSyntaxError('expected , or ' + close);
    }
  }

  private dict(): JsonObject {
    this.i++;
    const out: JsonObject = {};
    for (;;) {
      this.ws();
      if (this.text[this.i] === '}') {
        this.i++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') throw new LiteralSyntaxError('only string keys are supported');
      this.ws();
      if (this.text[this.i] !== ':') throw new LiteralSyntaxError('expected :');
      this.i++;
      this.ws();
      out[key] = this.value();
      this.ws();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] !== '}') throw new LiteralSyntaxError('expected , or }');
    }
  }

  private string(): string {
    const t = this.text;
    const quote = t[this.i]!;
    const triple = t.startsWith(quote.repeat(3), this.i);
    const q = triple ? quote.repeat(3) : quote;
    this.i += q.length;
    let out = '';
    for (;;) {
      if (this.i >= t.length) throw new LiteralSyntaxError('unterminated string');
      if (t.startsWith(q, this.i)) {
        this.i += q.length;
        return out;
      }
      const c = t[this.i]!;
      if (c === '\n' && !triple) throw new LiteralSyntaxError('newline in string');
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const escape = readPythonEscape(t, this.i + 1);
      if (!escape) throw new LiteralSyntaxError('bad escape');
      out += escape.value;
      this.i = escape.end;
    }
  }
}
