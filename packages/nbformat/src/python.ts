/**
 * Python's spelling of values, in one place: `repr` of floats and strings, the order of `sort_keys`, and the escapes
 * of string literals as `ast.literal_eval` reads them. Jupyter writes notebooks with Python's `json` module and
 * jupytext and Ploomber read Python literals, so nbpipe must spell and read values exactly as Python does.
 */

/** Python's `repr` of a float, from its JavaScript value. */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exponent < -4 || exponent >= 16) {
    const frac = digits.slice(1);
    const exp = Math.abs(exponent).toString().padStart(2, '0');
    out = `${digits[0]}${frac ? '.' + frac : ''}e${exponent < 0 ? '-' : '+'}${exp}`;
  } else if (exponent < 0) {
    out = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  } else if (digits.length <= exponent + 1) {
    out = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  return negative ? `-${out}` : out;
}

/** Python's repr() of a str: quotes chosen as Python does, escapes for non-printable characters. */
export function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f || !PYTHON_NON_PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return out + quote;
}

/** Python's str.isprintable() is false for these categories (space excepted). */
const PYTHON_NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Python's `sort_keys` order: by code point (JavaScript's default sort is by UTF-16 unit). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a.codePointAt(k)!;
    const y = b.codePointAt(k)!;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * The escape sequence of a Python str literal whose backslash is just before `text[at]`, as `ast.literal_eval` reads
 * it: the text it stands for and the offset after it. An unknown escape keeps its backslash, as in Python. Undefined
 * for a malformed `\x`, `\u` or `\U` and for `\N{name}` (Unicode character names are not known here).
 */
export function readPythonEscape(text: string, at: number): { value: string; end: number } | undefined {
  const e = text[at];
  if (e === undefined) return undefined;
  if (Object.hasOwn(SIMPLE_ESCAPES, e)) return { value: SIMPLE_ESCAPES[e]!, end: at + 1 };
  const octal = /^[0-7]{1,3}/.exec(text.slice(at, at + 3));
  if (octal) return { value: String.fromCodePoint(parseInt(octal[0], 8)), end: at + octal[0].length };
  const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (width > 0) {
    const digits = text.slice(at + 1, at + 1 + width);
    if (digits.length !== width || !/^[0-9a-fA-F]+$/.test(digits) || parseInt(digits, 16) > 0x10ffff) return undefined;
    return { value: String.fromCodePoint(parseInt(digits, 16)), end: at + 1 + width };
  }
  if (e === 'N') return undefined;
  return { value: '\\' + e, end: at + 1 };
}
