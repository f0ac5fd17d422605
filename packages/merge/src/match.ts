import type { Cell } from '@nbpipe/nbformat';
import { align, gaps, type Level, type Pair } from './align.js';
import { isSimilarText, overlapRatio, similarityRatio, type SimilarityOptions } from './similarity.js';

/**
 * How a cell of the first notebook corresponds to one of the second. `a` is null for an added
 * cell, `b` for a removed one; `moved` marks a pair found out of order. The list is in display
 * order: the second notebook's order, with removed cells where they used to be.
 */
export interface CellMatch {
  a: number | null;
  b: number | null;
  moved: boolean;
}

export interface MatchOptions {
  /** Use cell ids to pair cells (default true). */
  ids?: boolean;
  similarity?: SimilarityOptions;
}

/** A moved cell must be at least this close to its origin (stricter than in-place edits). */
const MOVE_RATIO = 0.7;
/** The length up to which a text found whole in another counts as that text edited (see `contained`). */
const SHORT_TEXT = 40;
/** Beyond this many candidate pairs, only exact moves (same id or same content) are looked for. */
const MOVE_SEARCH_LIMIT = 2_500;

const source = (cell: Cell) => (typeof cell.source === 'string' ? cell.source : String(cell.source ?? ''));
const contentKey = (cell: Cell) => `${cell.cell_type}\u0000${source(cell)}`;

function outputsKey(cell: Cell): string {
  if (cell.cell_type !== 'code' || !Array.isArray(cell.outputs) || cell.outputs.length === 0) return '';
  // Execution counts change on every run and must not split otherwise equal outputs.
  return JSON.stringify(cell.outputs.map((o) => ({ ...o, execution_count: undefined })));
}

interface Aligned {
  /** In-order pairs, increasing in both a and b. */
  pairs: Pair[];
  /** Pairs found out of order. */
  moves: Pair[];
}

/**
 * An id of at most four decimal digits is a position ("0", "1", … as nbstripout and many tools write
 * them), not an identity: after an insertion "3" names another cell. Jupyter's own ids are 8 characters.
 */
const POSITIONAL_ID = /^\d{1,4}$/;

/**
 * Each cell's id where it can identify the cell (README: "Cell identity and volatile metadata"): not missing, not positional,
 * not shared with another cell of its notebook. When the two notebooks have no such id in common the ids
 * were regenerated, and say nothing either.
 */
function identifyingIds(a: readonly Cell[], b: readonly Cell[]): [(string | undefined)[], (string | undefined)[]] {
  const ownIds = (cells: readonly Cell[]) => {
    const ids = cells.map((cell) =>
      typeof cell.id === 'string' && cell.id !== '' && !POSITIONAL_ID.test(cell.id) ? cell.id : undefined,
    );
    const counts = new Map<string | undefined, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    return ids.map((id) => (counts.get(id) === 1 ? id : undefined));
  };
  const idsA = ownIds(a);
  const idsB = ownIds(b);
  const inB = new Set(idsB);
  if (!idsA.some((id) => id !== undefined && inB.has(id))) return [a.map(() => undefined), b.map(() => undefined)];
  return [idsA, idsB];
}

/**
 * The pairing of cells between two notebooks (in order and moved). Ids are evidence, content is the
 * ground truth: a shared id pairs two cells at once when their sources are alike; otherwise only when
 * the pair sits between the same neighbouring matches (a cell rewritten in place), never as a move.
 */
export function alignCells(a: readonly Cell[], b: readonly Cell[], options: MatchOptions = {}): Aligned {
  const cells = (side: 'a' | 'b') => (side === 'a' ? a : b);
  const [idsA, idsB] = options.ids === false ? [[], []] : identifyingIds(a, b);
  const differentIds = (i: number, j: number) => idsA[i] !== undefined && idsB[j] !== undefined && idsA[i] !== idsB[j];
  const similar = (x: Cell, y: Cell) =>
    x.cell_type === y.cell_type && isSimilarText(source(x), source(y), options.similarity);
  // nbdime's ratio rule is strict for short texts (`print(x)` → `print(x * 2)` is below it) while any two texts of
  // ten characters or less pass it: a short cell found whole in another is that cell edited.
  const contained = (x: Cell, y: Cell) => {
    const [sx, sy] = [source(x), source(y)];
    return (
      x.cell_type === y.cell_type &&
      sx.trim() !== '' &&
      sy.trim() !== '' &&
      Math.min(sx.length, sy.length) <= SHORT_TEXT &&
      overlapRatio(sx, sy) === 1
    );
  };

  const indexInB = new Map(idsB.flatMap((id, j) => (id === undefined ? [] : [[id, j] as const])));
  // The cell type may change under a kept id (Jupyter's cell type menu): only the sources must agree.
  const trusted = new Set(
    idsA.filter(
      (id, i) =>
        id !== undefined &&
        indexInB.has(id) &&
        isSimilarText(source(a[i]!), source(b[indexInB.get(id)!]!), options.similarity),
    ),
  );
  const trustedId = (side: 'a' | 'b', k: number) => {
    const id = (side === 'a' ? idsA : idsB)[k];
    return id !== undefined && trusted.has(id) ? id : undefined;
  };

  const outputKeys = new Map<Cell, string>();
  const cachedOutputsKey = (cell: Cell) => {
    let key = outputKeys.get(cell);
    if (key === undefined) outputKeys.set(cell, (key = outputsKey(cell)));
    return key;
  };
  // Outputs only tell apart cells whose content is the same (src-and-output): serialize them
  // only for those, which spares stringifying megabytes of images.
  const contentCounts = new Map<string, number>();
  for (const cell of [...a, ...b]) contentCounts.set(contentKey(cell), (contentCounts.get(contentKey(cell)) ?? 0) + 1);
  const withOutputs = (cell: Cell) => {
    const key = contentKey(cell);
    return contentCounts.get(key)! > 2 ? `${key}\u0000${cachedOutputsKey(cell)}` : key;
  };
  const exactLevels: Level[] = [
    ...(trusted.size ? [{ key: trustedId }] : []),
    { key: (side, k) => withOutputs(cells(side)[k]!) },
    { key: (side, k) => contentKey(cells(side)[k]!) },
  ];
  // A cell whose exact copy on the other side is out of order moved there: it must not pair with a
  // look-alike in its old place first (the move search would never see it).
  const exact = align(a.length, b.length, exactLevels);
  const unpairedContent = (side: 'a' | 'b', paired: Set<number>) =>
    new Set(cells(side).flatMap((cell, k) => (paired.has(k) || source(cell).trim() === '' ? [] : [contentKey(cell)])));
  const movedAway = unpairedContent('b', new Set(exact.map((p) => p[1])));
  const movedHere = unpairedContent('a', new Set(exact.map((p) => p[0])));
  // Of the alignments pairing the most cells, the one whose pairs keep the most of each other: a cell with
  // lines added stays with its original rather than with a new cell that happens to look like it. A cell whose id
  // names another cell on the other side is that cell's, however alike this one looks (short texts always do).
  const indexInA = new Map(idsA.flatMap((id, i) => (id === undefined ? [] : [[id, i] as const])));
  const twinElsewhere = (i: number, j: number) =>
    (idsA[i] !== undefined && indexInB.has(idsA[i]) && indexInB.get(idsA[i]) !== j) ||
    (idsB[j] !== undefined && indexInA.has(idsB[j]) && indexInA.get(idsB[j]) !== i);
  const alike: Level = {
    match: (i, j) =>
      !movedAway.has(contentKey(a[i]!)) &&
      !movedHere.has(contentKey(b[j]!)) &&
      !twinElsewhere(i, j) &&
      (similar(a[i]!, b[j]!) || contained(a[i]!, b[j]!)),
    weight: (i, j) => overlapRatio(source(a[i]!), source(b[j]!)),
  };
  const aligned = align(a.length, b.length, [alike], exact);
  const { pairs, moves } = settleMoves(a.length, b.length, aligned, findMoves(a, b, aligned, trustedId, differentIds));

  // What stays unpaired between two matches: a lone cell replaced by a lone cell of the same type
  // is an edit, however large, unless their ids say they are different cells (nbdime would call it
  // a delete plus an insert); so are cells rewritten in place under their ids, in order.
  const movedA = new Set(moves.map((p) => p[0]));
  const movedB = new Set(moves.map((p) => p[1]));
  const withEdits: Pair[] = [];
  gaps(a.length, b.length, pairs).forEach(([a0, a1, b0, b1], k) => {
    const restA = range(a0, a1).filter((i) => !movedA.has(i));
    const restB = range(b0, b1).filter((j) => !movedB.has(j));
    if (restA.length === 1 && restB.length === 1) {
      const [i, j] = [restA[0]!, restB[0]!];
      if (a[i]!.cell_type === b[j]!.cell_type && !differentIds(i, j)) withEdits.push([i, j]);
    } else {
      const sameId = restB.flatMap((j) => {
        const i = restA.find((i) => idsA[i] !== undefined && idsA[i] === idsB[j]);
        return i === undefined ? [] : [[i, j] as const];
      });
      withEdits.push(...longestIncreasing(sameId));
    }
    if (k < pairs.length) withEdits.push(pairs[k]!);
  });
  return { pairs: withEdits, moves };
}

/**
 * Pairs the move search found between the same two in-order anchors are not moves: they join
 * the in-order pairs (as many as stay in order; the rest remain moves).
 */
function settleMoves(n: number, m: number, pairs: Pair[], found: Pair[]): Aligned {
  const gapOfA = new Int32Array(n).fill(-1);
  const gapOfB = new Int32Array(m).fill(-1);
  gaps(n, m, pairs).forEach(([a0, a1, b0, b1], k) => {
    gapOfA.fill(k, a0, a1);
    gapOfB.fill(k, b0, b1);
  });
  const sameGap = found.filter(([i, j]) => gapOfA[i] === gapOfB[j]);
  if (!sameGap.length) return { pairs, moves: found };
  // Longest run of same-gap pairs increasing in both a and b (they arrive sorted by b).
  const inOrder = new Set<Pair>(longestIncreasing(sameGap));
  return {
    pairs: [...pairs, ...inOrder].sort((x, y) => x[0] - y[0]),
    moves: found.filter((p) => !inOrder.has(p)),
  };
}

/** Longest subsequence of pairs (sorted by b) whose a also increases. O(k²): k is small. */
function longestIncreasing(list: readonly Pair[]): Pair[] {
  const best = list.map(() => 1);
  const previous = list.map(() => -1);
  for (let k = 0; k < list.length; k++)
    for (let p = 0; p < k; p++)
      if (list[p]![0] < list[k]![0] && best[p]! + 1 > best[k]!) {
        best[k] = best[p]! + 1;
        previous[k] = p;
      }
  let at = best.indexOf(Math.max(...best));
  const out: Pair[] = [];
  for (; at >= 0; at = previous[at]!) out.push(list[at]!);
  return out.reverse();
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

function findMoves(
  a: readonly Cell[],
  b: readonly Cell[],
  pairs: readonly Pair[],
  trustedId: (side: 'a' | 'b', index: number) => string | undefined,
  differentIds: (i: number, j: number) => boolean,
): Pair[] {
  const usedA = new Set(pairs.map((p) => p[0]));
  const usedB = new Set(pairs.map((p) => p[1]));
  // Blank cells carry no identity: an empty cell removed here and another added there is not a move.
  const leftA = a.map((_, i) => i).filter((i) => !usedA.has(i) && source(a[i]!).trim() !== '');
  const leftB = b.map((_, j) => j).filter((j) => !usedB.has(j) && source(b[j]!).trim() !== '');
  const moves: Pair[] = [];
  const take = (i: number, j: number) => {
    moves.push([i, j]);
    usedA.add(i);
    usedB.add(j);
  };

  const byId = new Map<string, number>();
  for (const j of leftB) {
    const id = trustedId('b', j);
    if (id !== undefined) byId.set(id, j);
  }
  for (const i of leftA) {
    const id = trustedId('a', i);
    const j = id === undefined ? undefined : byId.get(id);
    if (j !== undefined && !usedB.has(j)) take(i, j);
  }

  const byContent = new Map<string, number[]>();
  for (const j of leftB) {
    if (usedB.has(j)) continue;
    const key = contentKey(b[j]!);
    byContent.set(key, [...(byContent.get(key) ?? []), j]);
  }
  for (const i of leftA) {
    if (usedA.has(i)) continue;
    // Cells whose ids differ are different cells, however alike (Jupyter keeps a cell's id).
    const candidates = byContent.get(contentKey(a[i]!)) ?? [];
    const k = candidates.findIndex((j) => !differentIds(i, j));
    if (k >= 0) take(i, candidates.splice(k, 1)[0]!);
  }

  const restA = leftA.filter((i) => !usedA.has(i));
  const restB = leftB.filter((j) => !usedB.has(j));
  if (restA.length * restB.length <= MOVE_SEARCH_LIMIT) {
    const scored: [number, number, number][] = [];
    for (const i of restA)
      for (const j of restB) {
        if (a[i]!.cell_type !== b[j]!.cell_type || differentIds(i, j)) continue;
        const ratio = similarityRatio(source(a[i]!), source(b[j]!));
        if (ratio >= MOVE_RATIO) scored.push([ratio, i, j]);
      }
    scored.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    for (const [, i, j] of scored) if (!usedA.has(i) && !usedB.has(j)) take(i, j);
  }
  return moves.sort((x, y) => x[1] - y[1]);
}

/**
 * Pair the cells of two notebooks: by id where the ids identify cells and the sources agree, then by
 * identical content, then by similar source (nbdime's threshold-0.3 rule); a lone replaced cell, or
 * cells rewritten in place under their ids, count as edited, and cells found out of order as moved.
 */
export function matchCells(a: readonly Cell[], b: readonly Cell[], options: MatchOptions = {}): CellMatch[] {
  const { pairs, moves } = alignCells(a, b, options);
  return displayOrder(a.length, b.length, pairs, moves);
}

/** Lay matches out in the second sequence's order, removed items just before what replaced them. */
export function displayOrder(n: number, m: number, pairs: readonly Pair[], moves: readonly Pair[]): CellMatch[] {
  const inOrder = new Map(pairs.map(([i, j]) => [j, i]));
  const movedFrom = new Map(moves.map(([i, j]) => [j, i]));
  const matchedA = new Set([...pairs, ...moves].map((p) => p[0]));
  // nextAnchor[j]: the a index of the first in-order pair at or after b index j.
  const nextAnchor = new Int32Array(m + 1).fill(n);
  for (let j = m - 1; j >= 0; j--) nextAnchor[j] = inOrder.get(j) ?? nextAnchor[j + 1]!;

  const out: CellMatch[] = [];
  let nextA = 0;
  const flushRemoved = (before: number) => {
    for (; nextA < before; nextA++) if (!matchedA.has(nextA)) out.push({ a: nextA, b: null, moved: false });
  };
  for (let j = 0; j < m; j++) {
    flushRemoved(nextAnchor[j]!);
    const i = inOrder.get(j);
    if (i !== undefined) {
      out.push({ a: i, b: j, moved: false });
      nextA = Math.max(nextA, i + 1);
    } else {
      const from = movedFrom.get(j);
      out.push({ a: from ?? null, b: j, moved: from !== undefined });
    }
  }
  flushRemoved(n);
  return out;
}
