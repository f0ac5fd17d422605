import { StringParser } from './strings.js';
import { isBlank, pyStrip } from './text.js';

// jupytext's blank-line heuristic: in `.py` files, two blank lines around functions and classes
// (as PEP 8 wants), one elsewhere. Only counts that differ from it are stored in cell metadata.

const startsDefinition = (line: string) => line.startsWith('def ') || line.startsWith('async ') || line.startsWith('class ');

function nextInstructionIsFunctionOrClass(lines: Iterable<string>): boolean {
  const parser = new StringParser('python');
  let previousBlank = false;
  let first = true;
  for (const line of lines) {
    if (parser.isQuoted()) {
      parser.readLine(line);
      previousBlank = !pyStrip(line);
      first = false;
      continue;
    }
    parser.readLine(line);
    const blank = !pyStrip(line);
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
  const unquoted: string[] = [];
  const parser = new StringParser('python');
  for (const line of lines) {
    if (!parser.isQuoted()) unquoted.push(line);
    parser.readLine(line);
  }
  unquoted.reverse();
  for (let i = 0; i < unquoted.length; i++) {
    const line = unquoted[i]!;
    if (!pyStrip(line)) {
      if (i > 0 && !pyStrip(unquoted[i - 1]!)) return false;
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

function cellHasCode(lines: Iterable<string>): boolean {
  let previousBlank = false;
  let first = true;
  for (const line of lines) {
    const stripped = pyStrip(line);
    const blank = !stripped;
    if (!stripped.startsWith('#')) {
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
 * only as far as needed, so that it can be a lazy view of a long document).
 */
export function pep8LinesBetweenCells(prev: readonly string[], next: Iterable<string>, extension: string): number {
  if (next[Symbol.iterator]().next().done) return 1;
  if (prev.length === 0) return 0;
  if (extension !== '.py') return 1;
  if (cellEndsWithFunctionOrClass(prev)) return cellHasCode(next) ? 2 : 1;
  if (cellEndsWithCode(prev) && nextInstructionIsFunctionOrClass(next)) return 2;
  return 1;
}
