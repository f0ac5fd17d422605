/**
 * Text similarity used to align cells, lines and outputs. The measure is difflib's
 * SequenceMatcher ratio (2·matches / total length, where matches come from repeatedly taking the
 * longest common block), which penalises scattered character coincidences far more than an LCS
 * would; nbdime's thresholds were tuned for it. The rule for cells is nbdime's newer one (this
 * package's README, "Cell matching": threshold 0.3, whitespace-only lines ignored for the minimum block).
 */

/** Strings longer than this (together) are compared line by line instead of character by character. */
const CHARACTER_LEVEL_LIMIT = 6000;

interface Matching {
  /** Total size of the matching blocks. */
  matches: number;
  /** Size of the longest block (the first one difflib finds). */
  longest: number;
}

/** A text prepared for comparisons: its symbols, where each symbol occurs, how often. */
interface Prepared {
  symbols: ArrayLike<number>;
  positions: Map<number, number[]>;
  /** Distinct symbols in increasing order, and how often each occurs. */
  distinct: Int32Array;
  counts: Int32Array;
}

function prepare(symbols: ArrayLike<number>): Prepared {
  const positions = new Map<number, number[]>();
  for (let j = 0; j < symbols.length; j++) {
    const list = positions.get(symbols[j]!);
    if (list) list.push(j);
    else positions.set(symbols[j]!, [j]);
  }
  const distinct = Int32Array.from(positions.keys()).sort();
  const counts = distinct.map((symbol) => positions.get(symbol)!.length);
  return { symbols, positions, distinct, counts };
}

// Alignment compares every text with many others: prepare each once (bounded cache).
const CACHE_LIMIT = 4096;
const preparedChars = new Map<string, Prepared>();

function preparedText(text: string): Prepared {
  let prepared = preparedChars.get(text);
  if (!prepared) {
    if (preparedChars.size >= CACHE_LIMIT) preparedChars.clear();
    const codes = new Uint16Array(text.length);
    for (let k = 0; k < text.length; k++) codes[k] = text.charCodeAt(k);
    preparedChars.set(text, (prepared = prepare(codes)));
  }
  return prepared;
}

// Run lengths of the match ending at (row, j), stamped with the row that wrote them, so the
// buffers never need clearing between rows or calls. Shared: comparisons never run concurrently.
let runLength = new Int32Array(256);
let stamp = new Int32Array(256).fill(-1);
let row = 0;

function reserveBuffers(length: number): void {
  if (runLength.length < length || row > 2 ** 30) {
    const size = Math.max(length, runLength.length);
    runLength = new Int32Array(size);
    stamp = new Int32Array(size).fill(-1);
    row = 0;
  }
}

/**
 * difflib-style matching blocks between two symbol sequences (no junk heuristics): the longest
 * common block, then recursively the same on each side of it. With `enough`, stops as soon as
 * the total is known to exceed it or known never to reach it (the total is then only a bound).
 */
function matchingBlocks(a: ArrayLike<number>, b: Prepared, enough = Infinity): Matching {
  reserveBuffers(b.symbols.length);
  const { positions } = b;
  let besti = 0;
  let bestj = 0;
  let bestSize = 0;
  const longestMatch = (alo: number, ahi: number, blo: number, bhi: number): void => {
    besti = alo;
    bestj = blo;
    bestSize = 0;
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
  };

  let matches = 0;
  let longest = -1;
  // Ranges still to search, four numbers each; `open` bounds what they can still add.
  const queue: number[] = [0, a.length, 0, b.symbols.length];
  let open = Math.min(a.length, b.symbols.length);
  while (queue.length) {
    const bhi = queue.pop()!;
    const blo = queue.pop()!;
    const ahi = queue.pop()!;
    const alo = queue.pop()!;
    open -= Math.min(ahi - alo, bhi - blo);
    longestMatch(alo, ahi, blo, bhi);
    if (longest < 0) longest = bestSize;
    if (bestSize === 0) continue;
    matches += bestSize;
    const [i, j, size] = [besti, bestj, bestSize];
    if (alo < i && blo < j) {
      queue.push(alo, i, blo, j);
      open += Math.min(i - alo, j - blo);
    }
    if (i + size < ahi && j + size < bhi) {
      queue.push(i + size, ahi, j + size, bhi);
      open += Math.min(ahi - i - size, bhi - j - size);
    }
    if (enough !== Infinity && (matches > enough || matches + open <= enough)) break;
  }
  return { matches, longest: Math.max(longest, 0) };
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

/** Upper bound of the ratio from the symbol multisets (difflib's quick_ratio). */
function quickRatio(a: Prepared, b: Prepared): number {
  let matches = 0;
  for (let x = 0, y = 0; x < a.distinct.length && y < b.distinct.length;) {
    if (a.distinct[x]! < b.distinct[y]!) x++;
    else if (a.distinct[x]! > b.distinct[y]!) y++;
    else matches += Math.min(a.counts[x++]!, b.counts[y++]!);
  }
  return (2 * matches) / (a.symbols.length + b.symbols.length);
}

/** Matching blocks of two texts, by character or, for long texts, by line. */
function matching(a: string, b: string, threshold?: number): Matching & { total: number } {
  let symbolsA: ArrayLike<number>;
  let preparedB: Prepared;
  if (a.length + b.length <= CHARACTER_LEVEL_LIMIT) {
    symbolsA = preparedText(a).symbols;
    preparedB = preparedText(b);
  } else {
    const [la, lb] = lineSymbols(a, b);
    symbolsA = la;
    preparedB = prepare(lb);
  }
  const total = symbolsA.length + preparedB.symbols.length;
  // The ratio exceeds `threshold` exactly when the matches exceed threshold · total / 2.
  const enough = threshold === undefined ? Infinity : (threshold * total) / 2;
  const { matches, longest } = matchingBlocks(symbolsA, preparedB, enough);
  return { matches, longest, total };
}

/** difflib's ratio in [0, 1]: 1 for equal strings, 0 for nothing in common. */
export function similarityRatio(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length + b.length === 0) return 1;
  const m = matching(a, b);
  return (2 * m.matches) / m.total;
}

/**
 * How much of the shorter text the longer one keeps, in [0, 1] (matching blocks as for the ratio): 1 when
 * one contains the other, as a cell does after lines were added to it.
 */
export function overlapRatio(a: string, b: string): number {
  if (a === b) return 1;
  const shorter = Math.min(a.length, b.length);
  return shorter === 0 ? 0 : matching(a, b).matches / shorter;
}

/** Length of the text without its whitespace-only lines. */
function significantLength(s: string): number {
  let length = 0;
  for (const line of s.split('\n')) if (line.trim() !== '') length += line.length + 1;
  return Math.max(0, length - 1);
}

/** Whether a text has more than `n` characters that are not whitespace (stops early). */
function moreThan(n: number, s: string): boolean {
  let count = 0;
  for (let k = 0; k < s.length && count <= n; k++) if (s.charCodeAt(k) > 32) count++;
  return count > n;
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
  // min(5, L − 1) where L is the longer text's length without whitespace-only lines; L > 5 as
  // soon as either text has six visible characters, which spares splitting most texts.
  const significant = !ignoreWhitespaceLines
    ? Math.max(x.length, y.length)
    : moreThan(5, x) || moreThan(5, y)
      ? Infinity
      : Math.max(significantLength(x), significantLength(y));
  const minBlock = Math.min(5, significant - 1);
  if (x.length < minBlock || y.length < minBlock) return false;
  const effective = Math.max(threshold, 10 / Math.max(x.length, y.length));
  const total = x.length + y.length;
  if ((2 * Math.min(x.length, y.length)) / total <= effective) return false;
  if (total <= CHARACTER_LEVEL_LIMIT && quickRatio(preparedText(x), preparedText(y)) <= effective) return false;
  const m = matching(x, y, effective);
  if ((2 * m.matches) / m.total <= effective) return false;
  // Line-level matching counts whole lines, so the block-size guard only applies to characters.
  return m.total !== total || m.longest >= minBlock;
}
