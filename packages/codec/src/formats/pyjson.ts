import {
  JsonFloat,
  parseJson,
  parsePythonLiteral,
  pythonFloatRepr,
  type JsonObject,
  type JsonValue,
} from '@nbpipe/nbformat';

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

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

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

/**
 * Parse a value the way jupytext reads marker options: JSON first, then a Python literal
 * (`True`, `None`, `'single quotes'`, tuples, dicts). Throws on anything else.
 */
export function parseRelaxedValue(text: string): JsonValue {
  const trimmed = text.trim();
  try {
    return parseJson(trimmed);
  } catch {
    return parsePythonLiteral(trimmed, { exactNumbers: true });
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
