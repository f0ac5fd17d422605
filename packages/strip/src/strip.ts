import { isUtf8 } from 'node:buffer';
import {
  JsonFloat,
  NotebookError,
  decodeNotebookBytes,
  dumpPython,
  parseJson,
  parseNotebookJson,
  pythonFloatRepr,
  rejoinLines,
  splitLines,
  toStoredJson,
  type JsonObject,
  type JsonValue,
  type Notebook,
  parseWithOutputsEmptied,
  scanOutputs,
  mapLegacyLines,
  joinV3Lines,
  repairCellIds,
  serializeV3,
} from '@nbpipe/nbformat';

/** What to strip; the defaults are nbstripout's, except that cell ids are kept (README: "Cell identity and volatile metadata"). */
export interface StripOptions {
  /** Keep outputs in every cell. Unset: the notebook's `metadata.keep_output` decides; false overrides it. */
  keepOutput?: boolean;
  /** Keep `execution_count` / `prompt_number` in cells and outputs. */
  keepCount?: boolean;
  /**
   * Keep cell ids (default). `false` renumbers them "0", "1", … as nbstripout does by default: ids that say
   * nothing about which cell is which, so diff and merge then pair cells by content alone.
   */
  keepId?: boolean;
  /** More keys to remove: `metadata.<path>` (notebook) or `cell.<path>` (every cell). */
  extraKeys?: readonly string[];
  /** Keys to take off the removal list (exact strings, e.g. `cell.metadata.scrolled`). */
  keepMetadataKeys?: readonly string[];
  /** Drop cells whose source is only whitespace. */
  dropEmptyCells?: boolean;
  /** Drop cells carrying any of these tags. */
  dropTaggedCells?: readonly string[];
  /** Strip outputs of `init_cell: true` cells too. */
  stripInitCells?: boolean;
  /** Keep outputs whose size (characters of all values) is at most this. */
  maxSize?: number;
  /** Output types (`type` or `type:name`, e.g. `stream:stderr`) kept whatever their size. */
  keepOutputTypes?: readonly string[];
  /** Output types removed even from kept outputs. */
  dropOutputTypes?: readonly string[];
}

export interface StripResult {
  /** The stripped notebook, serialized as Jupyter writes its nbformat version (Zeppelin notes as Zeppelin). */
  text: string;
  /** Whether stripping changed the content; formatting alone never counts (nbstripout compares structurally). */
  changed: boolean;
  /** Whether the input held outputs. */
  hadOutputs: boolean;
}

export interface Stripper {
  /** Problems found in the options (invalid extra keys), reported once rather than per notebook. */
  readonly warnings: readonly string[];
  /**
   * Strip a notebook, given as text or as the file's bytes (faster: outputs that are dropped are never decoded or
   * parsed). `path` names the file in errors and picks Zeppelin mode for `.zpln`.
   */
  strip(input: string | Uint8Array, path?: string): StripResult;
}

/** A notebook that nbstripout's rules refuse to strip (e.g. `keep_output` metadata contradicting its tags). */
export class StripError extends Error {
  override readonly name = 'StripError';
  constructor(
    readonly problem: string,
    readonly path?: string,
  ) {
    super(`${path ?? '<notebook>'}: ${problem}`);
  }
}

/** nbstripout's built-in removal list (nbformat itself also drops `signature` and cell `trusted`). */
export const DEFAULT_STRIP_KEYS: readonly string[] = [
  'metadata.signature',
  'metadata.widgets',
  'cell.metadata.collapsed',
  'cell.metadata.ExecuteTime',
  'cell.metadata.execution',
  'cell.metadata.heading_collapsed',
  'cell.metadata.hidden',
  'cell.metadata.scrolled',
];

/** `--max-size` syntax: a number with an optional decimal suffix k, M or G (either case). */
export function parseSize(spec: string | number): number {
  if (typeof spec === 'number') {
    if (Number.isInteger(spec) && spec >= 0) return spec;
  } else {
    const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(spec);
    if (m) return Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  }
  throw new RangeError(
    `invalid size ${JSON.stringify(spec)}: expected a whole number with an optional k, M or G suffix`,
  );
}

type Obj = JsonObject;
const isObject = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);

/** Python's truth value of a JSON value. */
function truthy(v: JsonValue | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (v instanceof JsonFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Python's `x in container` for the `tags` list (a string does a substring test). */
function contains(container: JsonValue | undefined, item: string): boolean {
  if (Array.isArray(container)) return container.includes(item);
  if (typeof container === 'string') return container.includes(item);
  if (isObject(container)) return item in container;
  return false;
}

/** A dotted key path, split in advance: the literal remaining key at each level, and where to descend. */
interface KeyPath {
  literal: string;
  head?: string;
  rest?: KeyPath;
}

function compileKeyPath(path: string): KeyPath {
  const dot = path.indexOf('.');
  return dot < 0
    ? { literal: path }
    : { literal: path, head: path.slice(0, dot), rest: compileKeyPath(path.slice(dot + 1)) };
}

function removeKeyPath(target: JsonValue | undefined, key: KeyPath): boolean {
  if (!isObject(target)) return false;
  if (Object.hasOwn(target, key.literal)) return delete target[key.literal];
  return key.head !== undefined && Object.hasOwn(target, key.head) && removeKeyPath(target[key.head], key.rest!);
}

/**
 * Remove a dotted key path: a literal key wins (so keys may contain dots), otherwise descend at the
 * first dot. Missing keys and non-object values are silently ignored. Returns whether a key was removed.
 */
export function popKeyPath(target: JsonValue | undefined, path: string): boolean {
  return removeKeyPath(target, compileKeyPath(path));
}

/** Whether `value`'s size (nbstripout's `get_size`: code points of strings, Python text of scalars) exceeds `limit`. */
function sizeExceeds(value: JsonValue, limit: number): boolean {
  let total = 0;
  const visit = (v: JsonValue | undefined): boolean => {
    if (typeof v === 'string') {
      // A string has at least half as many code points as UTF-16 units: count exactly only near the limit.
      if (total + Math.ceil(v.length / 2) > limit) return true;
      total += codePointLength(v);
    } else if (Array.isArray(v)) {
      for (const x of v) if (visit(x)) return true;
    } else if (isObject(v)) {
      for (const x of Object.values(v)) if (visit(x)) return true;
    } else total += pythonStrLength(v);
    return total > limit;
  };
  return visit(value);
}

function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Length of Python's `str()` of a JSON scalar. */
function pythonStrLength(v: JsonValue | undefined): number {
  if (v === null || v === undefined) return 4; // None
  if (typeof v === 'boolean') return v ? 4 : 5;
  if (v instanceof JsonFloat) {
    const x = v.value; // Python prints nan, inf, -inf
    return Number.isNaN(x) || x === Infinity ? 3 : x === -Infinity ? 4 : v.raw.length;
  }
  if (typeof v === 'number') return (Number.isInteger(v) ? String(v) : pythonFloatRepr(v)).length;
  return 0;
}

interface OutputType {
  outputType: string;
  name?: string;
}
const parseOutputType = (spec: string): OutputType => {
  const colon = spec.indexOf(':');
  return colon < 0 ? { outputType: spec } : { outputType: spec.slice(0, colon), name: spec.slice(colon + 1) };
};
const matchesAny = (output: Obj, types: readonly OutputType[]) =>
  types.some((t) => output.output_type === t.outputType && (t.name === undefined || output.name === t.name));

// Python's str.isspace() characters, for --drop-empty-cells.
const NON_WHITESPACE = /[^\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

function hasContent(source: JsonValue | undefined): boolean {
  if (typeof source === 'string') return NON_WHITESPACE.test(source);
  if (Array.isArray(source)) return source.some((line) => typeof line === 'string' && NON_WHITESPACE.test(line));
  return false;
}

/** Python's `str.splitlines()` (without line ends), used by the nbformat 2 writer. */
const splitLinesDroppingEnds = (s: string): string[] =>
  splitLines(s).map((line) => line.replace(/(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/, ''));

/** Whether any object has an integer-like key, whose position a JavaScript object cannot keep. */
function hasIndexLikeKey(v: JsonValue | undefined): boolean {
  if (Array.isArray(v)) return v.some(hasIndexLikeKey);
  if (!isObject(v)) return false;
  return Object.entries(v).some(([k, x]) => /^(?:0|[1-9]\d{0,9})$/.test(k) || hasIndexLikeKey(x));
}

/** Python's json.dumps without sort_keys, for the formats that keep key order (nbformat 1, Zeppelin). */
function dumpInsertionOrder(value: JsonObject, indent: number, path: string | undefined): string {
  if (hasIndexLikeKey(value))
    throw new StripError('has integer-like keys whose order this format keeps; cannot rewrite it byte-exactly', path);
  return dumpPython(value, indent, { sortKeys: false, ensureAscii: true }) + '\n';
}

interface Plan {
  keepOutput?: boolean;
  keepCount: boolean;
  keepId: boolean;
  notebookKeys: KeyPath[];
  cellKeys: KeyPath[];
  dropEmptyCells: boolean;
  dropTags: readonly string[];
  stripInitCells: boolean;
  maxSize: number;
  keepTypes: OutputType[];
  dropTypes: OutputType[];
}

/** Prepare a stripper: the key lists and output-type rules are resolved once for many notebooks. */
export function createStripper(options: StripOptions = {}): Stripper {
  const warnings: string[] = [];
  const keep = new Set(options.keepMetadataKeys ?? []);
  const plan: Plan = {
    keepOutput: options.keepOutput,
    keepCount: Boolean(options.keepCount),
    keepId: options.keepId !== false,
    notebookKeys: [],
    cellKeys: [],
    dropEmptyCells: Boolean(options.dropEmptyCells),
    dropTags: options.dropTaggedCells ?? [],
    stripInitCells: Boolean(options.stripInitCells),
    maxSize: options.maxSize ?? 0,
    keepTypes: (options.keepOutputTypes ?? []).map(parseOutputType),
    dropTypes: (options.dropOutputTypes ?? []).map(parseOutputType),
  };
  for (const key of [...DEFAULT_STRIP_KEYS, ...(options.extraKeys ?? [])]) {
    if (keep.has(key)) continue;
    const dot = key.indexOf('.');
    const scope = key.slice(0, dot);
    if (dot < 0 || (scope !== 'cell' && scope !== 'metadata')) {
      warnings.push(`ignoring invalid extra key \`${key}\` (expected metadata.<key> or cell.<key>)`);
      continue;
    }
    if (key === 'cell.outputs') {
      // nbstripout crashes on this; stripping outputs is what happens anyway.
      warnings.push('ignoring extra key `cell.outputs` (outputs are stripped by default; see --keep-output)');
      continue;
    }
    (scope === 'cell' ? plan.cellKeys : plan.notebookKeys).push(compileKeyPath(key.slice(dot + 1)));
  }
  return {
    warnings,
    strip: (input, path) => {
      if (typeof input === 'string')
        return path?.endsWith('.zpln') ? stripZeppelin(input, path) : stripJupyter(input, plan, path);
      const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      // Empty, binary or not UTF-8: decodeNotebookBytes throws the error that says which.
      if (bytes.length === 0 || bytes.includes(0) || !isUtf8(bytes)) decodeNotebookBytes(bytes, path);
      return path?.endsWith('.zpln')
        ? stripZeppelin(bytes.toString('utf8'), path)
        : stripJupyterBytes(bytes, plan, path);
    },
  };
}

/** Strip one notebook (text or bytes) with the given options (see `createStripper` for many notebooks). */
export function stripNotebookText(input: string | Uint8Array, options: StripOptions = {}, path?: string): StripResult {
  return createStripper(options).strip(input, path);
}

function stripZeppelin(text: string, path: string): StripResult {
  const note = parseNotebookJson(text, path);
  if (!isObject(note) || !Array.isArray(note.paragraphs))
    throw new NotebookError('NOT_A_NOTEBOOK', 'not a Zeppelin note: no "paragraphs" list', path);
  let changed = false;
  let hadOutputs = false;
  for (const paragraph of note.paragraphs) {
    if (!isObject(paragraph) || !('results' in paragraph)) continue;
    if (truthy(paragraph.results)) hadOutputs = true;
    if (!isObject(paragraph.results) || Object.keys(paragraph.results).length > 0) changed = true;
    paragraph.results = {};
  }
  return { text: dumpInsertionOrder(note, 2, path), changed, hadOutputs };
}

function invalid(problem: string, path: string | undefined): never {
  throw new NotebookError('INVALID', `invalid notebook: ${problem}`, path);
}

/** Load like nbformat's `reads(..., NO_CONVERT)`: join lines, drop transient keys, repair ids (4.5+). */
function normalizeNotebookJson(nb: JsonValue, path: string | undefined): { nb: Obj; major: number } {
  if (!isObject(nb)) throw new NotebookError('NOT_A_NOTEBOOK', 'not a notebook: the JSON is not an object', path);
  // A notebook without a version key is read (and written) as nbformat 1, as nbformat does.
  const major = 'nbformat' in nb ? nb.nbformat : 1;
  if (major !== 1 && major !== 2 && major !== 3 && major !== 4)
    throw new NotebookError('UNSUPPORTED_VERSION', `nbformat ${JSON.stringify(major)} is not supported (1 to 4)`, path);
  if ('nbformat' in nb && major < 4) {
    if (!Array.isArray(nb.worksheets)) invalid('no "worksheets" list', path);
    if (major === 2) mapLegacyLines(nb, true, (lines) => (lines as string[]).join('\n'));
    if (major === 3) mapLegacyLines(nb, true, joinV3Lines);
    return { nb, major };
  }
  if (!Array.isArray(nb.cells)) invalid('no "cells" list', path);
  if (major !== 4) return { nb, major };
  if (!isObject(nb.metadata)) invalid('no "metadata" object', path);
  nb.cells.forEach((cell, i) => {
    if (!isObject(cell) || !isObject(cell.metadata)) invalid(`cells[${i}] has no "metadata" object`, path);
  });
  rejoinLines(nb);
  for (const key of ['orig_nbformat', 'orig_nbformat_minor', 'signature']) delete nb.metadata[key];
  for (const cell of nb.cells as Obj[]) delete (cell.metadata as Obj).trusted;
  // nbformat's reader repairs cell ids and nothing else, and nbstripout writes what it read: counts stay as written.
  if (typeof nb.nbformat_minor === 'number' && nb.nbformat_minor >= 5) repairCellIds(nb.cells);
  return { nb, major };
}

/** Cells, per worksheet for nbformat 1–3 (which keep a `nbformat` key) and flat otherwise. */
function cellLists(nb: Obj): { owner: Obj; key: 'cells' }[] {
  if (typeof nb.nbformat === 'number' && nb.nbformat < 4)
    return (nb.worksheets as JsonValue[])
      .filter((ws): ws is Obj => isObject(ws) && Array.isArray(ws.cells))
      .map((owner) => ({ owner, key: 'cells' }));
  return [{ owner: nb, key: 'cells' }];
}

function anyOutputs(nb: Obj): boolean {
  return cellLists(nb).some(({ owner }) =>
    (owner.cells as JsonValue[]).some((c) => isObject(c) && Array.isArray(c.outputs) && c.outputs.length > 0),
  );
}

function keepsOutput(cell: Obj, notebookDefault: boolean, plan: Plan, path: string | undefined): boolean {
  const metadata = cell.metadata;
  if (!isObject(metadata)) return notebookDefault;
  if ('init_cell' in metadata) return truthy(metadata.init_cell) && !plan.stripInitCells;
  const hasMetadata = 'keep_output' in metadata;
  const hasTag = contains(metadata.tags, 'keep_output');
  if (hasMetadata && hasTag && !truthy(metadata.keep_output))
    throw new StripError('cell metadata contradicts tags: `keep_output` is false, but `keep_output` in tags', path);
  return hasMetadata || hasTag ? truthy(metadata.keep_output) || hasTag : notebookDefault;
}

/** Strip in place; returns whether anything changed (Python's `orig != stripped`, without keeping a copy). */
function stripCells(nb: Obj, plan: Plan, path: string | undefined): boolean {
  const metadata = isObject(nb.metadata) ? nb.metadata : undefined;
  const notebookDefault =
    plan.keepOutput ?? (metadata !== undefined && 'keep_output' in metadata ? truthy(metadata.keep_output) : false);
  let changed = false;
  for (const key of plan.notebookKeys) changed = removeKeyPath(metadata, key) || changed;
  const legacy = typeof nb.nbformat === 'number' && nb.nbformat < 4;
  const setNull = (obj: Obj, key: string) => {
    if (!(key in obj)) return;
    if (obj[key] !== null) changed = true;
    obj[key] = null;
  };
  let index = 0;
  for (const { owner, key } of cellLists(nb)) {
    const all = owner[key] as JsonValue[];
    let cells = all.filter(isObject);
    if (plan.dropEmptyCells)
      // nbformat 1–3 code cells hold their source in `input` (nbstripout looks only at `source` and drops them all).
      cells = cells.filter((c) => hasContent(legacy && c.cell_type === 'code' ? c.input : c.source));
    if (plan.dropTags.length > 0) {
      // Any listed tag drops the cell (nbstripout 0.9.1 honours only the last one: a bug not copied).
      cells = cells.filter(
        (c) => !plan.dropTags.some((tag) => contains(isObject(c.metadata) ? c.metadata.tags : undefined, tag)),
      );
    }
    if (cells.length !== all.length) changed = true;
    owner[key] = cells;
    for (const cell of cells) {
      const keep = keepsOutput(cell, notebookDefault, plan, path);
      if (Array.isArray(cell.outputs)) {
        let outputs = cell.outputs;
        if (!keep || plan.keepTypes.length > 0)
          outputs = outputs.filter(
            (o) => !sizeExceeds(o, plan.maxSize) || (isObject(o) && matchesAny(o, plan.keepTypes)),
          );
        if (!plan.keepCount) for (const o of outputs) if (isObject(o)) setNull(o, 'execution_count');
        if (plan.dropTypes.length > 0) outputs = outputs.filter((o) => !(isObject(o) && matchesAny(o, plan.dropTypes)));
        if (outputs.length !== cell.outputs.length) changed = true;
        cell.outputs = outputs;
      }
      if (!plan.keepCount) {
        setNull(cell, 'prompt_number');
        setNull(cell, 'execution_count');
      }
      if ('id' in cell && !plan.keepId && cell.id !== String(index)) {
        cell.id = String(index);
        changed = true;
      }
      for (const k of plan.cellKeys) changed = removeKeyPath(cell, k) || changed;
      index++;
    }
  }
  return changed;
}

function writeNotebookJson(nb: Obj, major: number, path: string | undefined): string {
  if (!('nbformat' in nb) || major === 1) return dumpInsertionOrder(nb, 4, path);
  if (major === 4) return dumpPython(toStoredJson(nb as unknown as Notebook)) + '\n';
  if (major === 3) return serializeV3(nb);
  mapLegacyLines(nb, false, (s) => splitLinesDroppingEnds(s as string));
  return dumpPython(nb, 1, { ensureAscii: true }) + '\n';
}

/** `discardedOutputs`: outputs left unparsed because stripping drops them (see stripJupyterBytes). */
function stripLoaded(json: JsonValue, plan: Plan, path: string | undefined, discardedOutputs = false): StripResult {
  const { nb, major } = normalizeNotebookJson(json, path);
  const hadOutputs = discardedOutputs || anyOutputs(nb);
  const changed = stripCells(nb, plan, path) || discardedOutputs;
  return lazyResult(() => writeNotebookJson(nb, major, path), changed, hadOutputs);
}

/** Serializing is a large part of the cost, and an unchanged file in place or `--check` never needs the text. */
function lazyResult(write: () => string, changed: boolean, hadOutputs: boolean): StripResult {
  let text: string | undefined;
  return {
    get text() {
      return (text ??= write());
    },
    changed,
    hadOutputs,
  };
}

function stripJupyter(text: string, plan: Plan, path: string | undefined): StripResult {
  return stripLoaded(parseNotebookJson(text, path), plan, path);
}

/** Outputs arrays this small are parsed anyway: an output of size 0 (`{}`) survives stripping. */
const TINY_OUTPUTS = 64;

/**
 * Strip nbformat 4 bytes without decoding or parsing the outputs that stripping drops: the document is parsed
 * with each cell's outputs replaced by `[]` (see scanOutputs in @nbpipe/nbformat), and only the outputs a cell may keep are parsed.
 * Anything unusual (another version, malformed JSON) takes the plain path, which also gives the precise error.
 */
function stripJupyterBytes(bytes: Buffer, plan: Plan, path: string | undefined): StripResult {
  const plain = () => stripJupyter(bytes.toString('utf8'), plan, path);
  const scan = scanOutputs(bytes);
  if (!scan || scan.ranges.size === 0) return plain();
  const nb = parseWithOutputsEmptied(bytes, scan);
  if (!isObject(nb) || nb.nbformat !== 4 || !Array.isArray(nb.cells)) return plain();
  const metadata = isObject(nb.metadata) ? nb.metadata : {};
  const notebookDefault = plan.keepOutput ?? ('keep_output' in metadata ? truthy(metadata.keep_output) : false);
  let discarded = false;
  for (const [index, range] of scan.ranges) {
    const cell = nb.cells[index];
    if (!isObject(cell)) continue;
    if (range.end - range.start > TINY_OUTPUTS && !mayKeepOutputs(cell, notebookDefault, plan)) {
      discarded ||= !range.empty;
      continue;
    }
    try {
      cell.outputs = parseJson(bytes.toString('utf8', range.start, range.end));
    } catch {
      return plain();
    }
  }
  return stripLoaded(nb, plan, path, discarded);
}

/** Whether stripping could keep any of this cell's outputs (a contradiction is left for stripCells to report). */
function mayKeepOutputs(cell: Obj, notebookDefault: boolean, plan: Plan): boolean {
  if (plan.keepTypes.length > 0 || plan.maxSize > 0) return true;
  try {
    return keepsOutput(cell, notebookDefault, plan, undefined);
  } catch {
    return true;
  }
}
