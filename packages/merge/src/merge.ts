// The submodule, not the package index, which loads every differ (characters, words, CSS, JSON…) on start-up.
import { diffArrays } from 'diff/lib/diff/array.js';
import {
  derivedCellId,
  type Cell,
  type CellType,
  type JsonObject,
  type MimeBundle,
  type Notebook,
  type Output,
} from '@nbpipe/nbformat';
import type { Pair } from './align.js';
import {
  deletedCellMarker,
  withConflictRecords,
  type ConflictKind,
  type ConflictRecord,
  type StoredConflict,
} from './conflicts.js';
import { formatJson, jsonEqual } from './json.js';
import { alignCells, type MatchOptions } from './match.js';
import { mergeJson, type JsonConflict } from './merge-json.js';
import { mergeText } from './merge-text.js';

/** What to do when both sides changed a cell's outputs differently. */
export type OutputStrategy = 'clear' | 'local' | 'remote' | 'union';

export interface MergeOptions {
  /** Default `clear`: drop both sides' outputs and reset the execution count. */
  outputs?: OutputStrategy;
  /** Length of conflict markers (git's %L); default 7. */
  markerSize?: number;
  /** Names after the `<<<<<<<` and `>>>>>>>` markers; default `local` and `remote`. */
  localLabel?: string;
  remoteLabel?: string;
  similarity?: MatchOptions['similarity'];
}

export interface MergeResult {
  notebook: Notebook;
  conflicts: ConflictRecord[];
}

interface Settings {
  outputs: OutputStrategy;
  markerSize: number;
  localLabel: string;
  remoteLabel: string;
}

/** A conflict found while merging one cell, before the cell's final index is known. */
interface CellConflict {
  kind: ConflictKind;
  message: string;
  /** Stored in the cell's metadata (conflicts without a marker in the source). */
  stored?: StoredConflict;
}

interface MergedCell {
  cell: Cell;
  conflicts: CellConflict[];
}

/** One side's notebook described against the base. */
interface SideView {
  cells: readonly Cell[];
  /** For each base cell: its index on this side, whether it moved, or -1 if deleted. */
  position: Int32Array;
  moved: Uint8Array;
  /** Cells inserted or moved in before base cell g (g = base length: at the end). */
  gapItems: GapItem[][];
  /** For a moved base cell: the gap it moved to. */
  movedToGap: Map<number, number>;
}

type GapItem = { kind: 'new'; index: number } | { kind: 'moved'; base: number; index: number };

function sideView(
  base: readonly Cell[],
  cells: readonly Cell[],
  pairs: readonly Pair[],
  moves: readonly Pair[],
): SideView {
  const position = new Int32Array(base.length).fill(-1);
  const moved = new Uint8Array(base.length);
  const anchorOf = new Map<number, number>();
  for (const [i, j] of pairs) {
    position[i] = j;
    anchorOf.set(j, i);
  }
  const movedFrom = new Map<number, number>();
  for (const [i, j] of moves) {
    position[i] = j;
    moved[i] = 1;
    movedFrom.set(j, i);
  }
  const gapItems: GapItem[][] = Array.from({ length: base.length + 1 }, () => []);
  const movedToGap = new Map<number, number>();
  // Cells between two in-order anchors belong right after the earlier anchor.
  let gap = 0;
  cells.forEach((_, j) => {
    const anchor = anchorOf.get(j);
    if (anchor !== undefined) {
      gap = anchor + 1;
      return;
    }
    const from = movedFrom.get(j);
    if (from === undefined) gapItems[gap]!.push({ kind: 'new', index: j });
    else {
      gapItems[gap]!.push({ kind: 'moved', base: from, index: j });
      movedToGap.set(from, gap);
    }
  });
  return { cells, position, moved, gapItems, movedToGap };
}

// ---------------------------------------------------------------------------------------------
// Cells

/**
 * Cell metadata written by whichever front end showed or ran the cell last: view state, and run timing
 * (JupyterLab's `execution`, the ExecuteTime extension's `ExecuteTime`). README: "Cell identity and volatile metadata".
 */
const TRANSIENT_METADATA = new Set(['collapsed', 'scrolled', 'autoscroll', 'execution', 'ExecuteTime']);

const sourceOf = (cell: Cell | undefined) => (cell === undefined ? '' : String(cell.source ?? ''));
const outputsOf = (cell: Cell | undefined): Output[] => (cell?.cell_type === 'code' ? (cell.outputs ?? []) : []);
const withoutCount = (outputs: readonly Output[]) =>
  outputs.map((o) => (o.execution_count === undefined ? o : { ...o, execution_count: null }));

/** A cell without what changes on every run or view: execution counts, ids, collapsed/scrolled. */
function substance(cell: Cell): JsonObject {
  const metadata = Object.fromEntries(
    Object.entries(cell.metadata ?? {}).filter(([key]) => !TRANSIENT_METADATA.has(key)),
  );
  const rest = Object.fromEntries(Object.entries(cell).filter(([key]) => key !== 'execution_count' && key !== 'id'));
  return { ...rest, metadata, ...(cell.cell_type === 'code' ? { outputs: withoutCount(outputsOf(cell)) } : {}) };
}

/** Whether a side changed a base cell in a way worth keeping when the other side deletes it. */
const changedInSubstance = (base: Cell, side: Cell) => !jsonEqual(substance(base), substance(side));

/** Three-way choice of a scalar; `onConflict` when both sides changed it differently. */
function pick<T>(base: T, local: T, remote: T, onConflict: () => T): T {
  if (jsonEqual(local, remote) || jsonEqual(base, remote)) return local;
  if (jsonEqual(base, local)) return remote;
  return onConflict();
}

function mergeOutputs(
  base: Cell | undefined,
  local: Cell,
  remote: Cell,
  settings: Settings,
): { outputs: Output[]; executionCount: number | null } {
  const [b, l, r] = [outputsOf(base), outputsOf(local), outputsOf(remote)];
  const count = (cell: Cell | undefined) => (cell?.cell_type === 'code' ? (cell.execution_count ?? null) : null);
  const threeWayCount = () => pick(count(base), count(local), count(remote), () => null);
  if (jsonEqual(l, r) || jsonEqual(b, r)) return { outputs: l, executionCount: threeWayCount() };
  if (jsonEqual(b, l)) return { outputs: r, executionCount: threeWayCount() };
  // Re-run on both sides with the same results: only the counts differ.
  if (jsonEqual(withoutCount(l), withoutCount(r))) return { outputs: l, executionCount: threeWayCount() };
  switch (settings.outputs) {
    case 'local':
      return { outputs: l, executionCount: count(local) };
    case 'remote':
      return { outputs: r, executionCount: count(remote) };
    case 'union':
      return { outputs: [...l, ...r.filter((o) => !l.some((x) => jsonEqual(x, o)))], executionCount: null };
    case 'clear':
      return { outputs: [], executionCount: null };
  }
}

function conflictPath(conflict: JsonConflict): string {
  return conflict.path.join('.');
}

function storedJsonConflict(kind: ConflictKind, message: string, conflict: JsonConflict): StoredConflict {
  const stored: StoredConflict = { kind, message, path: conflictPath(conflict) };
  for (const side of ['base', 'local', 'remote'] as const)
    if (conflict[side] !== undefined) stored[side] = conflict[side];
  return stored;
}

function metadataConflictMessage(conflict: JsonConflict, settings: Settings, where: string): string {
  const kept = conflict.local !== undefined ? settings.localLabel : settings.remoteLabel;
  return `${where} "${conflictPath(conflict)}" changed differently in ${settings.localLabel} and ${settings.remoteLabel}: kept ${kept}'s value ${formatJson(conflict.local ?? conflict.remote)}`;
}

function mergeCellMetadata(
  base: Cell | undefined,
  local: Cell,
  remote: Cell,
  settings: Settings,
  conflicts: CellConflict[],
): JsonObject {
  const merged = mergeJson(base?.metadata ?? {}, local.metadata ?? {}, remote.metadata ?? {});
  for (const conflict of merged.conflicts) {
    // View state and run timing are not worth a conflict: local's wins.
    if (TRANSIENT_METADATA.has(conflict.path[0]!)) continue;
    const message = metadataConflictMessage(conflict, settings, 'metadata');
    conflicts.push({ kind: 'metadata', message, stored: storedJsonConflict('metadata', message, conflict) });
  }
  return (merged.value as JsonObject | undefined) ?? {};
}

function mergeAttachments(
  base: Cell | undefined,
  local: Cell,
  remote: Cell,
  settings: Settings,
  conflicts: CellConflict[],
): Record<string, MimeBundle> | undefined {
  const [b, l, r] = [base?.attachments, local.attachments, remote.attachments] as (JsonObject | undefined)[];
  if (jsonEqual(l, r) || jsonEqual(b, r)) return l as Record<string, MimeBundle> | undefined;
  if (jsonEqual(b, l)) return r as Record<string, MimeBundle> | undefined;
  const out: Record<string, MimeBundle> = {};
  const names = new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})]);
  for (const name of names) {
    const [x, y, z] = [b?.[name], l?.[name], r?.[name]];
    const value = pick(x, y, z, () => undefined);
    if (value !== undefined || jsonEqual(y, z) || jsonEqual(x, z) || jsonEqual(x, y)) {
      if (value !== undefined) out[name] = value as MimeBundle;
      continue;
    }
    // Both sides changed this attachment: keep local's under its name and remote's beside it.
    let message: string;
    if (y === undefined) {
      out[name] = z as MimeBundle;
      message = `attachment "${name}" deleted in ${settings.localLabel} but changed in ${settings.remoteLabel}: kept ${settings.remoteLabel}'s`;
    } else {
      out[name] = y as MimeBundle;
      message =
        z === undefined
          ? `attachment "${name}" changed in ${settings.localLabel} but deleted in ${settings.remoteLabel}: kept ${settings.localLabel}'s`
          : `attachment "${name}" changed differently in ${settings.localLabel} and ${settings.remoteLabel}: kept ${settings.localLabel}'s`;
      if (z !== undefined) {
        let other = `${settings.remoteLabel}-${name}`;
        while (names.has(other) || other in out) other = `${settings.remoteLabel}-${other}`;
        out[other] = z as MimeBundle;
        message += `, ${settings.remoteLabel}'s is "${other}"`;
      }
    }
    conflicts.push({ kind: 'attachments', message, stored: { kind: 'attachments', message, path: name } });
  }
  return out;
}

/** Build a valid cell of the given type from merged parts. */
function assembleCell(
  type: CellType,
  parts: {
    id: string | undefined;
    metadata: JsonObject;
    source: string;
    outputs: Output[];
    executionCount: number | null;
    attachments: Record<string, MimeBundle> | undefined;
  },
): Cell {
  const common = {
    ...(parts.id !== undefined ? { id: parts.id } : {}),
    metadata: parts.metadata,
    source: parts.source,
  };
  if (type === 'code')
    return { cell_type: 'code', execution_count: parts.executionCount, outputs: parts.outputs, ...common };
  return { cell_type: type, ...common, ...(parts.attachments !== undefined ? { attachments: parts.attachments } : {}) };
}

/**
 * Merge two versions of a cell against their common base (`undefined` for a cell both sides
 * added with the same source).
 */
function mergeCell(base: Cell | undefined, local: Cell, remote: Cell, settings: Settings): MergedCell {
  const conflicts: CellConflict[] = [];
  const type = pick(base?.cell_type, local.cell_type, remote.cell_type, () => {
    const message = `cell type changed to ${local.cell_type} in ${settings.localLabel} and to ${remote.cell_type} in ${settings.remoteLabel}: kept ${local.cell_type}`;
    conflicts.push({
      kind: 'cell_type',
      message,
      stored: { kind: 'cell_type', message, local: local.cell_type, remote: remote.cell_type },
    });
    return local.cell_type;
  })!;
  const source = mergeText(sourceOf(base), sourceOf(local), sourceOf(remote), settings);
  if (source.conflicts)
    conflicts.push({
      kind: 'source',
      message: `${settings.localLabel} and ${settings.remoteLabel} changed the same lines: ${source.conflicts} conflict${source.conflicts > 1 ? 's' : ''} marked in the source`,
    });
  const { outputs, executionCount } =
    type === 'code' ? mergeOutputs(base, local, remote, settings) : { outputs: [], executionCount: null };
  const metadata = mergeCellMetadata(base, local, remote, settings, conflicts);
  const attachments = type === 'code' ? undefined : mergeAttachments(base, local, remote, settings, conflicts);
  // Ids are identities, not content: if both changed it, local's stands.
  const id = pick(base?.id, local.id, remote.id, () => local.id);
  return {
    cell: assembleCell(type, { id, metadata, source: source.text, outputs, executionCount, attachments }),
    conflicts,
  };
}

/** A cell one side deleted and the other changed: kept, with a marker line on top of its source. */
function keepDeletedCell(cell: Cell, deletedBy: string, otherLabel: string, settings: Settings): MergedCell {
  const marker = deletedCellMarker(deletedBy, settings.markerSize);
  return {
    cell: { ...cell, source: `${marker}\n${sourceOf(cell)}` },
    conflicts: [
      {
        kind: 'deleted',
        message: `deleted in ${deletedBy} but changed in ${otherLabel}: the changed cell is kept with a marker line on top`,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Notebook

class CellMerger {
  readonly out: MergedCell[] = [];
  constructor(
    private readonly base: readonly Cell[],
    private readonly local: SideView,
    private readonly remote: SideView,
    private readonly settings: Settings,
  ) {}

  run(): MergedCell[] {
    for (let g = 0; g <= this.base.length; g++) {
      this.mergeGap(g);
      if (g < this.base.length) this.mergeBaseCellInPlace(g);
    }
    return this.out;
  }

  private emit(cell: MergedCell | undefined): void {
    if (cell) this.out.push(cell);
  }

  /** A base cell both sides kept in order, or one kept and the other deleted. */
  private mergeBaseCellInPlace(i: number): void {
    const l = this.local.position[i]!;
    const r = this.remote.position[i]!;
    if (this.local.moved[i] || this.remote.moved[i]) return; // placed with the gap it moved to
    if (l >= 0 && r >= 0) this.emit(this.mergeBaseCell(i));
    else if (l >= 0) this.emit(this.oneSideDeleted(i, 'remote'));
    else if (r >= 0) this.emit(this.oneSideDeleted(i, 'local'));
  }

  private mergeBaseCell(i: number): MergedCell {
    return mergeCell(
      this.base[i],
      this.local.cells[this.local.position[i]!]!,
      this.remote.cells[this.remote.position[i]!]!,
      this.settings,
    );
  }

  /** Base cell i, deleted by `deletedBy` and still present on the other side. */
  private oneSideDeleted(i: number, deletedBy: 'local' | 'remote'): MergedCell | undefined {
    const keeper = deletedBy === 'local' ? this.remote : this.local;
    const cell = keeper.cells[keeper.position[i]!]!;
    if (!changedInSubstance(this.base[i]!, cell)) return undefined;
    const { localLabel, remoteLabel } = this.settings;
    return deletedBy === 'local'
      ? keepDeletedCell(cell, localLabel, remoteLabel, this.settings)
      : keepDeletedCell(cell, remoteLabel, localLabel, this.settings);
  }

  /** Cells inserted or moved before base cell g: both sides kept, local's first, shared ones once. */
  private mergeGap(g: number): void {
    const localItems = this.local.gapItems[g]!;
    const remoteItems = this.remote.gapItems[g]!;
    if (!localItems.length && !remoteItems.length) return;
    const key = (side: SideView, item: GapItem) => {
      if (item.kind === 'moved') return `moved\u0000${item.base}`;
      const cell = side.cells[item.index]!;
      return `new\u0000${cell.cell_type}\u0000${sourceOf(cell)}`;
    };
    const localKeys = localItems.map((item) => key(this.local, item));
    const remoteKeys = remoteItems.map((item) => key(this.remote, item));
    let li = 0;
    let ri = 0;
    let pendingRemote: GapItem[] = [];
    for (const change of diffArrays(localKeys, remoteKeys)) {
      if (change.added) {
        pendingRemote.push(...remoteItems.slice(ri, ri + change.count));
        ri += change.count;
        continue;
      }
      if (change.removed) {
        for (const item of localItems.slice(li, li + change.count)) this.emit(this.gapItem(item, 'local', g));
        li += change.count;
        continue;
      }
      for (const item of pendingRemote) this.emit(this.gapItem(item, 'remote', g));
      pendingRemote = [];
      for (let n = 0; n < change.count; n++) this.emit(this.sharedGapItem(localItems[li++]!, remoteItems[ri++]!));
    }
    for (const item of pendingRemote) this.emit(this.gapItem(item, 'remote', g));
  }

  /** The same item inserted (or moved here) by both sides. */
  private sharedGapItem(localItem: GapItem, remoteItem: GapItem): MergedCell {
    if (localItem.kind === 'moved') return this.mergeBaseCell(localItem.base);
    return mergeCell(
      undefined,
      this.local.cells[localItem.index]!,
      this.remote.cells[remoteItem.index]!,
      this.settings,
    );
  }

  /** An item only one side has in this gap. */
  private gapItem(item: GapItem, side: 'local' | 'remote', g: number): MergedCell | undefined {
    const own = side === 'local' ? this.local : this.remote;
    const other = side === 'local' ? this.remote : this.local;
    if (item.kind === 'new') return { cell: own.cells[item.index]!, conflicts: [] };
    const i = item.base;
    if (other.position[i]! < 0) return this.oneSideDeleted(i, side === 'local' ? 'remote' : 'local');
    if (!other.moved[i] || other.movedToGap.get(i) === g) {
      // Moved here on this side and kept in place (or moved to this same gap) on the other.
      // Shared items of a gap are merged once, so within one gap only local's copy is placed.
      if (other.moved[i] && side === 'remote') return undefined;
      return this.mergeBaseCell(i);
    }
    // Moved to different places: local's place wins, recorded as a conflict there.
    if (side === 'remote') return undefined;
    const merged = this.mergeBaseCell(i);
    const { localLabel, remoteLabel } = this.settings;
    const message = `moved to different places in ${localLabel} and ${remoteLabel}: kept ${localLabel}'s place`;
    return {
      cell: merged.cell,
      conflicts: [...merged.conflicts, { kind: 'moved', message, stored: { kind: 'moved', message } }],
    };
  }
}

/**
 * Notebook metadata that the kernel or front end writes on every save, carrying no user intent
 * (README: "Cell identity and volatile metadata"): all of `language_info` (the running kernel's
 * reply: its version, lexer, CodeMirror mode) and `kernelspec.display_name` (the label of whichever
 * environment saved last; `kernelspec.name` is the choice of kernel). Changed differently on both
 * sides, local's value stands without a conflict.
 */
const isVolatileNotebookMetadata = (path: readonly string[]) =>
  path[0] === 'language_info' || (path[0] === 'kernelspec' && path[1] === 'display_name');

const VALID_ID = /^[a-zA-Z0-9-_]{1,64}$/;

/** nbformat 4.5 needs a unique id on every cell; earlier minors allow none. */
function fixIds(cells: Cell[], minor: number): Cell[] {
  if (minor < 5) return cells.map((cell) => (cell.id === undefined ? cell : withoutId(cell)));
  const taken = new Set<string>();
  return cells.map((cell, index) => {
    if (typeof cell.id === 'string' && VALID_ID.test(cell.id) && !taken.has(cell.id)) {
      taken.add(cell.id);
      return cell;
    }
    // Derived from content and position, as on read, so merges are reproducible.
    const id = derivedCellId(cell as unknown as JsonObject, index, taken);
    taken.add(id);
    return { ...cell, id };
  });
}

function withoutId(cell: Cell): Cell {
  const copy = { ...cell };
  delete copy.id;
  return copy;
}

/**
 * Three-way merge of notebooks. Changes of one side are applied; the same change on both sides
 * once; cells inserted at the same place by both are all kept, local's first; a cell moved on
 * one side and edited on the other ends up moved and edited. Both sides editing one cell's
 * source gives a line-level merge with git-style markers where the edits overlap. A cell
 * deleted on one side and changed on the other is kept with a marker line. Outputs changed on
 * both sides follow `options.outputs`. Metadata is merged as JSON; a key changed differently
 * keeps local's value and is recorded in `metadata.nbpipe.conflicts` (see `findConflicts`).
 * The result is a valid notebook; it may share unchanged parts with the inputs.
 */
export function mergeNotebooks(
  base: Notebook,
  local: Notebook,
  remote: Notebook,
  options: MergeOptions = {},
): MergeResult {
  const settings: Settings = {
    outputs: options.outputs ?? 'clear',
    markerSize: options.markerSize ?? 7,
    localLabel: options.localLabel ?? 'local',
    remoteLabel: options.remoteLabel ?? 'remote',
  };
  const matchOptions: MatchOptions = { similarity: options.similarity };
  const toLocal = alignCells(base.cells, local.cells, matchOptions);
  const toRemote = alignCells(base.cells, remote.cells, matchOptions);
  const merged = new CellMerger(
    base.cells,
    sideView(base.cells, local.cells, toLocal.pairs, toLocal.moves),
    sideView(base.cells, remote.cells, toRemote.pairs, toRemote.moves),
    settings,
  ).run();

  const conflicts: ConflictRecord[] = [];
  const metadataResult = mergeJson(base.metadata, local.metadata, remote.metadata);
  const notebookRecords = metadataResult.conflicts
    .filter((conflict) => !isVolatileNotebookMetadata(conflict.path))
    .map((conflict) => {
      const message = metadataConflictMessage(conflict, settings, 'notebook metadata');
      conflicts.push({ cellIndex: null, kind: 'metadata', message });
      return storedJsonConflict('metadata', message, conflict);
    });
  const minor = pick(base.nbformat_minor, local.nbformat_minor, remote.nbformat_minor, () =>
    Math.max(local.nbformat_minor, remote.nbformat_minor),
  );
  const cells = fixIds(
    merged.map(({ cell, conflicts: found }, cellIndex) => {
      for (const c of found) conflicts.push({ cellIndex, kind: c.kind, message: c.message });
      const stored = found.flatMap((c) => (c.stored ? [c.stored] : []));
      return stored.length ? { ...cell, metadata: withConflictRecords(cell.metadata ?? {}, stored) } : cell;
    }),
    minor,
  );
  const notebook: Notebook = {
    nbformat: 4,
    nbformat_minor: minor,
    metadata: withConflictRecords((metadataResult.value as JsonObject | undefined) ?? {}, notebookRecords),
    cells,
  };
  return { notebook, conflicts };
}
