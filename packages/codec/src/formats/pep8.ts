import { StringParser } from './strings.js';
import { isBlank, pyLstrip } from './text.js';

/** Lines read by index: an array, or a view such as the text that follows a cell while writing. */
export interface Lines {
  readonly length: number;
  at(index: number): string | undefined;
}

// jupytext's blank-line heuristic: in `.py` files, two blank lines around functions and classes
// (as PEP 8 wants), one elsewhere. Only counts that differ from it are stored in cell metadata.

const startsDefinition = (line: string) =>
  line.startsWith('def ') || line.startsWith('async ') || line.startsWith('class ');

function nextInstructionIsFunctionOrClass(lines: Lines): boolean {
  const parser = new StringParser('python');
  let previousBlank = false;
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines.at(i)!;
    if (parser.isQuoted()) {
      parser.readLine(line);
      previousBlank = isBlank(line);
      first = false;
      continue;
    }
    parser.readLine(line);
    const blank = isBlank(line);
    if (blank) {
      if (!first && previousBlank) return false;
      previousBlank = true;
      first = false;
      continue;
    }
    previousBlank = false;
    first = false;
    if (startsDefinition(line)) return true;
    if (line.startsWith('#') || line.startsWith('@') || line.startsWith(' ') || line.startsWith(')')) continue;
    return false;
  }
  return false;
}

function cellEndsWithFunctionOrClass(lines: readonly string[]): boolean {
  // The answer is the startsDefinition of some line: without one there is no need to follow the quoting.
  if (!lines.some(startsDefinition)) return false;
  const unquoted: string[] = [];
  const parser = new StringParser('python');
  for (const line of lines) {
    if (!parser.isQuoted()) unquoted.push(line);
    parser.readLine(line);
  }
  unquoted.reverse();
  for (let i = 0; i < unquoted.length; i++) {
    const line = unquoted[i]!;
    if (isBlank(line)) {
      if (i > 0 && isBlank(unquoted[i - 1]!)) return false;
      continue;
    }
    if (line.startsWith('#') || line.startsWith(' ') || line.startsWith(')')) continue;
    return startsDefinition(line);
  }
  return false;
}

function cellEndsWithCode(lines: readonly string[]): boolean {
  const last = lines[lines.length - 1];
  return last !== undefined && !isBlank(last) && !last.startsWith('#');
}

function cellHasCode(lines: Lines): boolean {
  let previousBlank = false;
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines.at(i)!;
    const blank = isBlank(line);
    if (!pyLstrip(line).startsWith('#')) {
      if (!blank) return true;
      if (!first && previousBlank) return false;
    }
    previousBlank = blank;
    first = false;
  }
  return false;
}

/**
 * Blank lines expected between a cell (`prev`, its text lines) and the text that follows (`next`, read
 * only as far as needed).
 */
export function pep8LinesBetweenCells(prev: readonly string[], next: Lines, extension: string): number {
  if (next.length === 0) return 1;
  if (prev.length === 0) return 0;
  if (extension !== '.py') return 1;
  if (cellEndsWithFunctionOrClass(prev)) return cellHasCode(next) ? 2 : 1;
  if (cellEndsWithCode(prev) && nextInstructionIsFunctionOrClass(next)) return 2;
  return 1;
}
