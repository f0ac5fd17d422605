// Python's str.splitlines(keepends=True) breaks on more than "\n"; Jupyter's writer uses it.
const PY_LINE_BREAK = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/g;
const UNUSUAL_BREAK = /[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Lines broken at "\n" only, each keeping its "\n" (the last one may lack it). "" has no lines. */
export function splitAtNewlines(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', start)) {
    out.push(s.slice(start, k + 1));
    start = k + 1;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** `s.splitlines(True)` exactly as Python does it. */
export function splitLines(s: string): string[] {
  if (!UNUSUAL_BREAK.test(s)) return splitAtNewlines(s);
  const out: string[] = [];
  let start = 0;
  PY_LINE_BREAK.lastIndex = 0;
  for (let m = PY_LINE_BREAK.exec(s); m; m = PY_LINE_BREAK.exec(s)) {
    const end = m.index + m[0].length;
    out.push(s.slice(start, end));
    start = end;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** A multi-line string as stored (a list of lines or a string), joined. */
export function joinLines(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return value.join('');
  return value as string;
}
