// Submodules, not the package index, which loads every differ (characters, words, CSS, JSON…) on start-up.
import { structuredPatch } from 'diff/lib/patch/create.js';
import type { StructuredPatchHunk } from 'diff/lib/types.js';
import type { Cell, CellType, JsonObject, JsonValue, Notebook, Output } from '@nbpipe/nbformat';
import { align } from './align.js';
import { isPlainObject, jsonEqual, toPlainJson } from './json.js';
import { matchCells, type MatchOptions } from './match.js';
import { stripAnsi } from './summary.js';
import { isBinaryMime } from './text.js';

/** What to compare. Everything is on by default; alignment always looks at sources and outputs. */
export interface DiffOptions {
  /** Cell sources. */
  sources?: boolean;
  /** Outputs and execution counts. */
  outputs?: boolean;
  /** Notebook, cell and output metadata. */
  metadata?: boolean;
  /** Cell ids: both their changes and their use for pairing cells. */
  ids?: boolean;
  /** Markdown attachments. */
  attachments?: boolean;
  similarity?: MatchOptions['similarity'];
}

/** A text compared line by line; hunks are the `diff` package's unified hunks (3 lines of context). */
export interface TextDiff {
  a: string;
  b: string;
  hunks: StructuredPatchHunk[];
}

/** A change inside a JSON dict, at `path` (keys from the dict being compared). */
export interface JsonChange {
  path: string[];
  op: 'added' | 'removed' | 'changed';
  a?: JsonValue;
  b?: JsonValue;
}

/** A change of one mime type in a bundle; text-like values carry a line diff. */
export interface MimeChange {
  mime: string;
  op: 'added' | 'removed' | 'changed';
  a?: JsonValue;
  b?: JsonValue;
  text?: TextDiff;
}

export interface OutputChanges {
  /** Stream text, or an error's traceback (without colour codes). */
  text?: TextDiff;
  data?: MimeChange[];
  metadata?: JsonChange[];
  executionCount?: { a: JsonValue | undefined; b: JsonValue | undefined };
  /** Any other key (stream name, error name/value/traceback…). */
  fields?: JsonChange[];
}

export type OutputDiff =
  | { op: 'added'; b: number; output: Output }
  | { op: 'removed'; a: number; output: Output }
  | {
      op: 'modified';
      a: number;
      b: number;
      outputType: string;
      /** stream name */ name?: string;
      changes: OutputChanges;
    };

export interface CellChanges {
  cellType?: { a: CellType; b: CellType };
  id?: { a: string | undefined; b: string | undefined };
  source?: TextDiff;
  outputs?: OutputDiff[];
  executionCount?: { a: number | null | undefined; b: number | null | undefined };
  metadata?: JsonChange[];
  /** Paths are `[name]` for a whole attachment, `[name, mime]` inside one. */
  attachments?: JsonChange[];
}

/** Indices are 0-based: `a` in the first notebook, `b` in the second. */
export type CellDiff =
  | { op: 'added'; b: number; cell: Cell }
  | { op: 'removed'; a: number; cell: Cell }
  | { op: 'modified' | 'moved'; a: number; b: number; cellType: CellType; changes: CellChanges };

export interface NotebookDiff {
  cells: CellDiff[];
  /** Notebook metadata. */
  metadata: JsonChange[];
  /** Format version as `4.4`, when it changed. */
  nbformat?: { a: string; b: string };
}

const UNIFIED_CONTEXT = 3;

/** A line diff of two texts (undefined when equal). */
export function diffText(a: string, b: string): TextDiff | undefined {
  if (a === b) return undefined;
  const { hunks } = structuredPatch('a', 'b', a, b, '', '', { context: UNIFIED_CONTEXT });
  return { a, b, hunks };
}

/** Changes between two JSON dicts, recursing into nested dicts; lists and scalars are compared whole. */
export function diffJson(a: JsonObject | undefined, b: JsonObject | undefined, path: string[] = []): JsonChange[] {
  const out: JsonChange[] = [];
  const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
  for (const key of keys) {
    const x = a?.[key];
    const y = b?.[key];
    if (jsonEqual(x, y)) continue;
    const at = [...path, key];
    if (x === undefined) out.push({ path: at, op: 'added', b: y });
    else if (y === undefined) out.push({ path: at, op: 'removed', a: x });
    else if (isPlainObject(x) && isPlainObject(y)) out.push(...diffJson(x, y, at));
    else out.push({ path: at, op: 'changed', a: x, b: y });
  }
  return out;
}

/** The value with every dict's keys in sorted order (as Jupyter writes them), for stable text. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

/** A mime value as text for a line diff: strings as they are, JSON indented; undefined for binary data. */
function mimeText(mime: string, value: unknown): string | undefined {
  if (isBinaryMime(mime) && typeof value === 'string') return undefined;
  return typeof value === 'string' ? value : JSON.stringify(sortedKeys(value), null, 2);
}

function diffBundle(a: JsonObject, b: JsonObject): MimeChange[] {
  const out: MimeChange[] = [];
  for (const mime of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[mime];
    const y = b[mime];
    if (jsonEqual(x, y)) continue;
    if (x === undefined) out.push({ mime, op: 'added', b: y });
    else if (y === undefined) out.push({ mime, op: 'removed', a: x });
    else {
      const change: MimeChange = { mime, op: 'changed', a: x, b: y };
      const [textA, textB] = [mimeText(mime, x), mimeText(mime, y)];
      if (textA !== undefined && textB !== undefined) change.text = diffText(textA, textB);
      out.push(change);
    }
  }
  return out;
}

const OUTPUT_OWN_KEYS = new Set(['output_type', 'text', 'data', 'metadata', 'execution_count', 'traceback']);

/** A traceback as plain text (the terminal colour codes IPython puts in it removed). */
const tracebackText = (output: Output) =>
  Array.isArray(output.traceback) ? stripAnsi(output.traceback.join('\n')) : '';

function diffOutput(a: Output, b: Output, options: DiffOptions): OutputChanges | undefined {
  const changes: OutputChanges = {};
  if (a.output_type === 'stream' && typeof a.text === 'string' && typeof b.text === 'string') {
    const text = diffText(a.text, b.text);
    if (text) changes.text = text;
  }
  if (a.output_type === 'error') {
    const text = diffText(tracebackText(a), tracebackText(b));
    if (text) changes.text = text;
  }
  if (isPlainObject(a.data) || isPlainObject(b.data)) {
    const data = diffBundle((a.data as JsonObject) ?? {}, (b.data as JsonObject) ?? {});
    if (data.length) changes.data = data;
  }
  if (options.metadata !== false) {
    const metadata = diffJson(a.metadata as JsonObject | undefined, b.metadata as JsonObject | undefined);
    if (metadata.length) changes.metadata = metadata;
  }
  if (!jsonEqual(a.execution_count, b.execution_count))
    changes.executionCount = { a: a.execution_count, b: b.execution_count };
  const rest = (o: Output) =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !OUTPUT_OWN_KEYS.has(k))) as JsonObject;
  const fields = diffJson(rest(a), rest(b));
  if (fields.length) changes.fields = fields;
  return Object.keys(changes).length ? changes : undefined;
}

/** Outputs of the same kind: same type, and the same stream or the same set of mime types. */
function sameKind(a: Output, b: Output): boolean {
  if (a.output_type !== b.output_type) return false;
  if (a.output_type === 'stream') return a.name === b.name;
  if (a.output_type === 'error') return a.ename === b.ename;
  const mimes = (o: Output) =>
    Object.keys((o.data as JsonObject | undefined) ?? {})
      .sort()
      .join();
  return mimes(a) === mimes(b);
}

export function diffOutputs(a: readonly Output[], b: readonly Output[], options: DiffOptions = {}): OutputDiff[] {
  const pairs = align(a.length, b.length, [
    { match: (i, j) => jsonEqual(a[i], b[j]) },
    { match: (i, j) => sameKind(a[i]!, b[j]!) },
  ]);
  const out: OutputDiff[] = [];
  let i = 0;
  let j = 0;
  for (const [pi, pj] of [...pairs, [a.length, b.length] as const]) {
    for (; i < pi; i++) out.push({ op: 'removed', a: i, output: a[i]! });
    for (; j < pj; j++) out.push({ op: 'added', b: j, output: b[j]! });
    if (pi < a.length) {
      const changes = diffOutput(a[pi]!, b[pj]!, options);
      const output = b[pj]!;
      if (changes)
        out.push({
          op: 'modified',
          a: pi,
          b: pj,
          outputType: output.output_type,
          ...(output.output_type === 'stream' ? { name: String(output.name) } : {}),
          changes,
        });
      i = pi + 1;
      j = pj + 1;
    }
  }
  return out;
}

/** Changes inside a matched pair of cells, limited by the options. */
export function diffCell(a: Cell, b: Cell, options: DiffOptions = {}): CellChanges {
  const changes: CellChanges = {};
  if (a.cell_type !== b.cell_type) changes.cellType = { a: a.cell_type, b: b.cell_type };
  if (options.ids !== false && a.id !== b.id) changes.id = { a: a.id, b: b.id };
  if (options.sources !== false) {
    const source = diffText(String(a.source ?? ''), String(b.source ?? ''));
    if (source) changes.source = source;
  }
  if (options.outputs !== false) {
    const outputs = diffOutputs(
      a.cell_type === 'code' ? (a.outputs ?? []) : [],
      b.cell_type === 'code' ? (b.outputs ?? []) : [],
      options,
    );
    if (outputs.length) changes.outputs = outputs;
    if (!jsonEqual(a.execution_count, b.execution_count))
      changes.executionCount = {
        a: a.execution_count as number | null | undefined,
        b: b.execution_count as number | null | undefined,
      };
  }
  if (options.metadata !== false) {
    const metadata = diffJson(a.metadata, b.metadata);
    if (metadata.length) changes.metadata = metadata;
  }
  if (options.attachments !== false) {
    // Bundles are dicts, so paths come out as [name] for whole attachments, [name, mime] inside one.
    const attachments = diffJson(a.attachments as JsonObject | undefined, b.attachments as JsonObject | undefined);
    if (attachments.length) changes.attachments = attachments;
  }
  return changes;
}

/**
 * The structured difference from notebook `a` to notebook `b`: cells added, removed, moved and
 * modified (with source line diffs, outputs, execution counts, metadata and attachments) and
 * notebook metadata changes. Cells are listed in display order (see `matchCells`).
 */
export function diffNotebooks(a: Notebook, b: Notebook, options: DiffOptions = {}): NotebookDiff {
  const cells: CellDiff[] = [];
  for (const m of matchCells(a.cells, b.cells, { ids: options.ids, similarity: options.similarity })) {
    if (m.b === null) cells.push({ op: 'removed', a: m.a!, cell: a.cells[m.a!]! });
    else if (m.a === null) cells.push({ op: 'added', b: m.b, cell: b.cells[m.b]! });
    else {
      const changes = diffCell(a.cells[m.a]!, b.cells[m.b]!, options);
      if (m.moved || Object.keys(changes).length)
        cells.push({ op: m.moved ? 'moved' : 'modified', a: m.a, b: m.b, cellType: b.cells[m.b]!.cell_type, changes });
    }
  }
  const diff: NotebookDiff = { cells, metadata: options.metadata === false ? [] : diffJson(a.metadata, b.metadata) };
  const version = (nb: Notebook) => `${String(nb.nbformat)}.${String(nb.nbformat_minor)}`;
  if (version(a) !== version(b)) diff.nbformat = { a: version(a), b: version(b) };
  return diff;
}

export function isEmptyDiff(diff: NotebookDiff): boolean {
  return diff.cells.length === 0 && diff.metadata.length === 0 && !diff.nbformat;
}

/** The structured diff as plain JSON (for `--json`): floats as numbers, no undefined members. */
export function diffToJson(diff: NotebookDiff): JsonValue {
  return toPlainJson(diff);
}
