/**
 * Text similarity used to align cells, lines and outputs. The measure is difflib's
 * SequenceMatcher ratio (2·matches / total length, where matches come from repeatedly taking the
 * longest common block), which penalises scattered character coincidences far more than an LCS
 * would; nbdime's thresholds were tuned for it. The rule for cells is nbdime's newer one (spec
 * diff-merge.md §2.5.3: threshold 0.3, whitespace-only lines ignored for the minimum block).
 */

/** Strings longer than this (together) are compared line by line instead of character by character. */
const CHARACTER_LEVEL_LIMIT = 6000;

interface Matching {
  /** Total size of the matching blocks. */
  matches: number;
  /** Size of the longest block (the first one difflib finds). */
  longest: number;
}

/** difflib-style matching blocks between two symbol sequences (no junk heuristics). */
function matchingBlocks(a: ArrayLike<number>, b: ArrayLike<number>): Matching {
  const positions = new Map<number, number[]>();
  for (let j = 0; j < b.length; j++) {
    const list = positions.get(b[j]!);
    if (list) list.push(j);
    else positions.set(b[j]!, [j]);
  }
  // Run lengths of the match ending at (row, j), stamped with the row that wrote them so the
  // arrays never need clearing between rows or between recursive calls.
  const runLength = new Int32Array(b.length);
  const stamp = new Int32Array(b.length).fill(-1);
  let row = 0;

  const longestMatch = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestSize = 0;
    for (let i = alo; i < ahi; i++) {
      const previousRow = row - 1;
      const thisRow = row++;
      const js = positions.get(a[i]!);
      if (!js) continue;
      // Descending j, so reading j-1 still sees the previous row; keep the smallest j of the row's best.
      let rowSize = 0;
      let rowJ = 0;
      for (let n = js.length - 1; n >= 0; n--) {
        const j = js[n]!;
        if (j >= bhi) continue;
        if (j < blo) break;
        const k = i > alo && j > blo && stamp[j - 1] === previousRow ? runLength[j - 1]! + 1 : 1;
        runLength[j] = k;
        stamp[j] = thisRow;
        if (k >= rowSize) {
          rowSize = k;
          rowJ = j;
        }
      }
      if (rowSize > bestSize) {
        bestSize = rowSize;
        besti = i - rowSize + 1;
        bestj = rowJ - rowSize + 1;
      }
    }
    row++; // a fresh stamp so the next call's first row cannot extend this call's runs
    return [besti, bestj, bestSize];
  };

  let matches = 0;
  let longest = -1;
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const [i, j, size] = longestMatch(alo, ahi, blo, bhi);
    if (longest < 0) longest = size;
    if (size === 0) continue;
    matches += size;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + size < ahi && j + size < bhi) queue.push([i + size, ahi, j + size, bhi]);
  }
  return { matches, longest: Math.max(longest, 0) };
}

function charCodes(s: string): Uint16Array {
  const out = new Uint16Array(s.length);
  for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k);
  return out;
}

/** Both texts as sequences of line numbers (equal lines get equal numbers). */
function lineSymbols(a: string, b: string): [number[], number[]] {
  const ids = new Map<string, number>();
  const encode = (s: string) =>
    s.split('\n').map((line) => {
      let id = ids.get(line);
      if (id === undefined) ids.set(line, (id = ids.size));
      return id;
    });
  return [encode(a), encode(b)];
}

/** Upper bound of the ratio from the character multisets (difflib's quick_ratio). */
function quickRatio(a: string, b: string): number {
  const counts = new Map<number, number>();
  for (let k = 0; k < b.length; k++) {
    const c = b.charCodeAt(k);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let matches = 0;
  for (let k = 0; k < a.length; k++) {
    const c = a.charCodeAt(k);
    const left = counts.get(c) ?? 0;
    if (left > 0) {
      matches++;
      counts.set(c, left - 1);
    }
  }
  return (2 * matches) / (a.length + b.length);
}

function matching(a: string, b: string): Matching & { total: number } {
  if (a.length + b.length <= CHARACTER_LEVEL_LIMIT) {
    return { ...matchingBlocks(charCodes(a), charCodes(b)), total: a.length + b.length };
  }
  const [la, lb] = lineSymbols(a, b);
  return { ...matchingBlocks(la, lb), total: la.length + lb.length };
}

/** difflib's ratio in [0, 1]: 1 for equal strings, 0 for nothing in common. */
export function similarityRatio(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length + b.length === 0) return 1;
  const m = matching(a, b);
  return (2 * m.matches) / m.total;
}

function withoutBlankLines(s: string): string {
  return s
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');
}

export interface SimilarityOptions {
  /** Ratio a pair must exceed (nbdime's newer default 0.3). */
  threshold?: number;
  /** Ignore whitespace-only lines when sizing the required common block. */
  ignoreWhitespaceLines?: boolean;
}

/**
 * Whether two cell sources (or text outputs) are versions of each other (nbdime HEAD rule):
 * tiny texts always match; otherwise the ratio must exceed max(threshold, 10 / longer length)
 * and the two must share a block of at least min(5, L − 1) characters.
 */
export function isSimilarText(x: string, y: string, options: SimilarityOptions = {}): boolean {
  const { threshold = 0.3, ignoreWhitespaceLines = true } = options;
  if ((x === '') !== (y === '')) return false;
  if (x === y) return true;
  if (x.length <= 10 && y.length <= 10) return true;
  const significant = ignoreWhitespaceLines
    ? Math.max(withoutBlankLines(x).length, withoutBlankLines(y).length)
    : Math.max(x.length, y.length);
  const minBlock = Math.min(5, significant - 1);
  if (x.length < minBlock || y.length < minBlock) return false;
  const effective = Math.max(threshold, 10 / Math.max(x.length, y.length));
  const total = x.length + y.length;
  if ((2 * Math.min(x.length, y.length)) / total <= effective) return false;
  if (total <= CHARACTER_LEVEL_LIMIT && quickRatio(x, y) <= effective) return false;
  const m = matching(x, y);
  if ((2 * m.matches) / m.total <= effective) return false;
  // Line-level matching counts whole lines, so the block-size guard only applies to characters.
  return m.total !== total || m.longest >= minBlock;
}
