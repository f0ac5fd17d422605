import { splitLines } from '@nbpipe/nbformat';

// Python's `str.isspace()` characters: what `\s`, `strip()` and friends mean in jupytext.
const WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** A character class matching Python's whitespace, for use inside other patterns. */
export const PY_SPACE = `[${WS}]`;
const PY_SPACE_SET = new Set([...'\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000']);
for (let c = 0x2000; c <= 0x200a; c++) PY_SPACE_SET.add(String.fromCharCode(c));

/** Whether a character is Python whitespace (`str.isspace()`). */
export const isPySpace = (ch: string): boolean => {
  const c = ch.charCodeAt(0);
  return c === 32 || (c >= 9 && c <= 13) || (c > 13 && PY_SPACE_SET.has(ch));
};

/** A line that is empty or whitespace only. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isPySpace(line[i]!)) return false;
  return true;
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && isPySpace(s[i]!)) i++;
  return i;
}

function endOfNonSpace(s: string): number {
  let j = s.length;
  while (j > 0 && isPySpace(s[j - 1]!)) j--;
  return j;
}

export const pyLstrip = (s: string): string => (s.length && isPySpace(s[0]!) ? s.slice(firstNonSpace(s)) : s);
export const pyRstrip = (s: string): string =>
  s.length && isPySpace(s[s.length - 1]!) ? s.slice(0, endOfNonSpace(s)) : s;
export const pyStrip = (s: string): string => pyRstrip(pyLstrip(s));

const TERMINATOR = /(?:\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])$/;

/** Python's `text.splitlines()`: lines without their terminators, no extra line for a final terminator. */
export function toLines(text: string): string[] {
  return splitLines(text).map((line) => line.replace(TERMINATOR, ''));
}

/** A cell source as the lines a writer emits: `""` → `[""]`, a final newline adds an empty line. */
export function sourceLines(source: string): string[] {
  if (source === '') return [''];
  const lines = toLines(source);
  if (source.endsWith('\n')) lines.push('');
  return lines;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Comment lines with `prefix` (and `suffix` for block-comment languages); empty lines get the bare prefix. */
export function commentLines(lines: readonly string[], prefix: string, suffix = ''): string[] {
  if (!prefix) return [...lines];
  if (!suffix) return lines.map((line) => (line ? `${prefix} ${line}` : prefix));
  return lines.map((line) => (line ? `${prefix} ${line} ${suffix}` : `${prefix} ${suffix}`));
}

/** Remove one level of `prefix` (and `suffix`) from a line; lines without it are unchanged. */
export function uncommentLine(line: string, prefix: string, suffix = ''): string {
  if (prefix) {
    if (line.startsWith(prefix + ' ')) line = line.slice(prefix.length + 1);
    else if (line.startsWith(prefix)) line = line.slice(prefix.length);
    else return line;
  }
  if (suffix) {
    if (line.endsWith(' ' + suffix)) line = line.slice(0, -(suffix.length + 1));
    else if (line.endsWith(suffix)) line = line.slice(0, -suffix.length);
  }
  return line;
}

export function uncommentLines(lines: readonly string[], prefix: string, suffix = ''): string[] {
  return lines.map((line) => uncommentLine(line, prefix, suffix));
}
