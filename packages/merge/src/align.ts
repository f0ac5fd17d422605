// The submodule, not the package index, which loads every differ (characters, words, CSS, JSON…) on start-up.
import { diffArrays } from 'diff/lib/diff/array.js';

/** A pair of aligned positions: item `a` of the first sequence and item `b` of the second. */
export type Pair = readonly [a: number, b: number];

/** Whether item `a` of the first sequence may pair with item `b` of the second. */
type Match = (a: number, b: number) => boolean;
/** How alike two matching items are: of the alignments with the most pairs, the one with the largest total wins. */
type Weight = (a: number, b: number) => number;

/**
 * One precedence level of an alignment: either a key (items with equal keys match; `undefined`
 * never matches) or a pairwise predicate (costly; evaluated on the gap's full grid), optionally
 * weighted so that an item pairs with its closest match rather than with any match.
 */
export type Level = { key: (side: 'a' | 'b', index: number) => string | undefined } | { match: Match; weight?: Weight };

/** Gaps larger than this many item pairs are not searched with a pairwise predicate. */
const PREDICATE_GRID_LIMIT = 40_000;
/** Keyed alignments larger than this use Myers' diff instead of the full dynamic program. */
const KEYED_GRID_LIMIT = 4_000_000;

/**
 * Longest common subsequence by dynamic programming, walked back from the end the way nbdime
 * does (README, "Cell matching"): take the corner pair when it matches, else drop an item of `a` if that keeps
 * the length, else one of `b`. Which of several equally long alignments comes out matters: it
 * decides, for example, which of two identical cells a lone copy is paired with. With `weight`,
 * the corner pair is taken only when it belongs to the heaviest of the longest alignments.
 */
function lcsPairs(match: Match, aLo: number, aHi: number, bLo: number, bHi: number, weight?: Weight): Pair[] {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const hit = new Uint8Array(n * m);
  const hitWeight = new Float64Array(weight ? n * m : 0);
  const length = new Int32Array((n + 1) * (m + 1));
  const total = new Float64Array(weight ? (n + 1) * (m + 1) : 0);
  const at = (x: number, y: number) => x * (m + 1) + y;
  // Whether the best alignment up to (x, y) extends the one up to `from` by `pairs` pairs weighing `gain`.
  const extends_ = (x: number, y: number, from: number, pairs: number, gain: number) =>
    length[from]! + pairs === length[at(x, y)]! && (!weight || total[from]! + gain === total[at(x, y)]!);
  for (let x = 1; x <= n; x++) {
    for (let y = 1; y <= m; y++) {
      const here = at(x, y);
      const [up, left] = [at(x - 1, y), at(x, y - 1)];
      const better =
        length[up]! > length[left]! || (length[up] === length[left] && (!weight || total[up]! >= total[left]!))
          ? up
          : left;
      length[here] = length[better]!;
      if (weight) total[here] = total[better]!;
      if (!match(aLo + x - 1, bLo + y - 1)) continue;
      const w = weight ? weight(aLo + x - 1, bLo + y - 1) : 0;
      hit[(x - 1) * m + y - 1] = 1;
      if (weight) hitWeight[(x - 1) * m + y - 1] = w;
      const diagonal = at(x - 1, y - 1);
      if (
        length[diagonal]! + 1 > length[here]! ||
        (length[diagonal]! + 1 === length[here] && weight && total[diagonal]! + w > total[here]!)
      ) {
        length[here] = length[diagonal]! + 1;
        if (weight) total[here] = total[diagonal]! + w;
      }
    }
  }
  const pairs: Pair[] = [];
  for (let x = n, y = m; x > 0 && y > 0;) {
    const corner = (x - 1) * m + y - 1;
    if (hit[corner] && extends_(x, y, at(x - 1, y - 1), 1, weight ? hitWeight[corner]! : 0)) {
      pairs.push([aLo + x - 1, bLo + y - 1]);
      x--;
      y--;
    } else if (extends_(x, y, at(x - 1, y), 0, 0)) x--;
    else y--;
  }
  return pairs.reverse();
}

function myersPairs(keysA: readonly number[], keysB: readonly number[], aLo: number, bLo: number): Pair[] {
  const pairs: Pair[] = [];
  let i = aLo;
  let j = bLo;
  for (const change of diffArrays(keysA as number[], keysB as number[])) {
    if (change.added) j += change.count;
    else if (change.removed) i += change.count;
    else for (let n = 0; n < change.count; n++) pairs.push([i++, j++]);
  }
  return pairs;
}

function keyedPairs(
  level: { key: (side: 'a' | 'b', index: number) => string | undefined },
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): Pair[] {
  // Keys become small integers; items without a key get one no item of the other side has.
  const ids = new Map<string, number>();
  let unique = -1;
  const keys = (side: 'a' | 'b', lo: number, hi: number) => {
    const out: number[] = [];
    for (let k = lo; k < hi; k++) {
      const key = level.key(side, k);
      if (key === undefined) out.push(unique--);
      else {
        let id = ids.get(key);
        if (id === undefined) ids.set(key, (id = ids.size));
        out.push(id);
      }
    }
    return out;
  };
  const ka = keys('a', aLo, aHi);
  const kb = keys('b', bLo, bHi);
  const inA = new Set(ka);
  if (!kb.some((key) => inA.has(key))) return [];
  if (ka.length * kb.length <= KEYED_GRID_LIMIT)
    return lcsPairs((x, y) => ka[x - aLo] === kb[y - bLo], aLo, aHi, bLo, bHi);
  // Too large for the table: match the common ends directly and let Myers align the middle.
  let head = 0;
  while (head < ka.length && head < kb.length && ka[head] === kb[head]) head++;
  let tail = 0;
  while (tail < ka.length - head && tail < kb.length - head && ka[ka.length - 1 - tail] === kb[kb.length - 1 - tail])
    tail++;
  const pairs: Pair[] = [];
  for (let k = 0; k < head; k++) pairs.push([aLo + k, bLo + k]);
  pairs.push(...myersPairs(ka.slice(head, ka.length - tail), kb.slice(head, kb.length - tail), aLo + head, bLo + head));
  for (let k = tail; k > 0; k--) pairs.push([aHi - k, bHi - k]);
  return pairs;
}

/** Half-width of the diagonal band searched in gaps too large for a full pairwise search. */
const BAND = 12;

function predicatePairs(
  { match, weight }: { match: Match; weight?: Weight },
  aLo: number,
  aHi: number,
  bLo: number,
  bHi: number,
): Pair[] {
  const n = aHi - aLo;
  const m = bHi - bLo;
  // Items edited in place (the usual case): if every item pairs with the one at the same
  // position, that is the only alignment of full length, found with n comparisons instead of n².
  if (n === m) {
    let k = 0;
    while (k < n && match(aLo + k, bLo + k)) k++;
    if (k === n) return Array.from({ length: n }, (_, d) => [aLo + d, bLo + d] as const);
  }
  if (n * m <= PREDICATE_GRID_LIMIT) return lcsPairs(match, aLo, aHi, bLo, bHi, weight);
  if (n * m > KEYED_GRID_LIMIT) return [];
  // A large gap (say every cell reformatted): only compare items near the same relative position.
  const width = BAND + Math.abs(n - m);
  return lcsPairs(
    (i, j) => Math.abs((i - aLo) * m - (j - bLo) * n) <= width * Math.max(n, m) && match(i, j),
    aLo,
    aHi,
    bLo,
    bHi,
    weight,
  );
}

/**
 * Monotone alignment of two sequences by a cascade of levels, strictest first: each level aligns
 * what lies between the anchors found by the stricter ones, so an exact match always wins over a
 * looser one (nbdime's multilevel "snakes"; README, "Cell matching"). `anchors`, an alignment found before (increasing in
 * both), is kept, and the levels align what lies between its pairs.
 */
export function align(n: number, m: number, levels: readonly Level[], anchors: readonly Pair[] = []): Pair[] {
  // Pairs `found` at `level` between (aLo, bLo) and (aHi, bHi), with what the next levels find around them.
  const around = (
    found: readonly Pair[],
    level: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
  ): Pair[] => {
    const out: Pair[] = [];
    let i = aLo;
    let j = bLo;
    for (const pair of [...found, [aHi, bHi] as const]) {
      out.push(...run(level, i, pair[0], j, pair[1]));
      if (pair[0] < aHi) out.push(pair);
      i = pair[0] + 1;
      j = pair[1] + 1;
    }
    return out;
  };
  const run = (level: number, aLo: number, aHi: number, bLo: number, bHi: number): Pair[] => {
    if (level >= levels.length || aLo >= aHi || bLo >= bHi) return [];
    const spec = levels[level]!;
    const found = 'key' in spec ? keyedPairs(spec, aLo, aHi, bLo, bHi) : predicatePairs(spec, aLo, aHi, bLo, bHi);
    return around(found, level + 1, aLo, aHi, bLo, bHi);
  };
  return around(anchors, 0, 0, n, 0, m);
}

/** The stretches between consecutive aligned pairs: [aFrom, aTo) against [bFrom, bTo). */
export function gaps(n: number, m: number, pairs: readonly Pair[]): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  let i = 0;
  let j = 0;
  for (const [a, b] of [...pairs, [n, m] as const]) {
    out.push([i, a, j, b]);
    i = a + 1;
    j = b + 1;
  }
  return out;
}
