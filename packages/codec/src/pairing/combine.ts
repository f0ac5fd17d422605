import { cloneJson, newCellId, type Cell, type JsonObject, type JsonValue, type Notebook } from '@nbpipe/nbformat';

/** How an inputs cell was matched to an outputs cell. */
export type CellMatch =
  /** Same source (exactly, or up to trailing spaces and surrounding blank lines): everything is kept. */
  | { kind: 'same'; outputIndex: number }
  /** Same place, same type, different source: the id and hidden metadata are kept, outputs are dropped. */
  | { kind: 'edited'; outputIndex: number }
  /** A new cell. */
  | { kind: 'new' };

/** The source up to what cannot change a program's meaning: trailing spaces and surrounding blank lines. */
function looseSource(source: string): string {
  return source
    .split('\n')
    .map((line) => line.replace(/[ \t\r]+$/, ''))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

/**
 * Match each cell of `inputs` (the text's cells) with at most one cell of `outputs` (the .ipynb's), robust to
 * inserted, deleted, moved and edited cells. In order of preference: the same source in the same order, the
 * same source anywhere, the loosely same source in order, then anywhere; finally an unmatched non-blank cell
 * takes the outputs cell right after the one its predecessor matched, or right before the one its successor
 * matched, if that is free and of the same type (an edited cell).
 */
export function matchCells(inputs: readonly Cell[], outputs: readonly Cell[]): CellMatch[] {
  const matched: (number | undefined)[] = inputs.map(() => undefined);
  const used = new Set<number>();
  const exact = (c: Cell) => c.source;
  const passes: { key: (c: Cell) => string; ordered: boolean }[] = [
    { key: exact, ordered: true },
    { key: exact, ordered: false },
    { key: (c) => looseSource(c.source), ordered: true },
    { key: (c) => looseSource(c.source), ordered: false },
  ];
  for (const { key, ordered } of passes) {
    const outputKeys = outputs.map(key);
    // For ordered passes: per cell type, search after the last outputs cell matched for that type.
    const after = new Map<string, number>();
    for (let i = 0; i < inputs.length; i++) {
      const cell = inputs[i]!;
      if (matched[i] !== undefined) {
        after.set(cell.cell_type, Math.max(after.get(cell.cell_type) ?? -1, matched[i]!));
        continue;
      }
      const wanted = key(cell);
      const start = ordered ? (after.get(cell.cell_type) ?? -1) + 1 : 0;
      for (let j = start; j < outputs.length; j++) {
        if (used.has(j) || outputs[j]!.cell_type !== cell.cell_type || outputKeys[j] !== wanted) continue;
        matched[i] = j;
        used.add(j);
        after.set(cell.cell_type, j);
        break;
      }
    }
  }
  const result: CellMatch[] = matched.map((j) =>
    j === undefined ? { kind: 'new' } : { kind: 'same', outputIndex: j },
  );
  // An edited cell sits where its original was: right after the outputs cell its predecessor matched, or right
  // before the one its successor matched.
  const nextMatched: number[] = [];
  for (let i = inputs.length - 1, next = outputs.length; i >= 0; i--) {
    nextMatched[i] = next;
    if (matched[i] !== undefined) next = matched[i]!;
  }
  let previous = -1;
  for (let i = 0; i < inputs.length; i++) {
    const j = matched[i];
    if (j !== undefined) {
      previous = j;
      continue;
    }
    const cell = inputs[i]!;
    if (cell.source.trim() === '') continue;
    const fits = (k: number) =>
      k >= 0 && k < outputs.length && !used.has(k) && outputs[k]!.cell_type === cell.cell_type;
    const k = [previous + 1, nextMatched[i]! - 1].find(fits);
    if (k === undefined) continue;
    used.add(k);
    result[i] = { kind: 'edited', outputIndex: k };
    previous = k;
  }
  return result;
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `shown` (what the text says) plus the keys of `stored` that the text format does not show, i.e. that are
 * missing from `visible` (the stored metadata as it looks after a trip through the text). A key the format
 * shows but the text lacks was deleted by the user and stays deleted. `depth` levels of nested mappings are
 * merged the same way (the notebook's `jupytext` entry). Without `visible`, every key counts as shown.
 */
function withHiddenKeys(
  shown: JsonObject,
  stored: JsonObject,
  visible: JsonObject | undefined,
  depth: number,
): JsonObject {
  const result = cloneJson(shown);
  for (const [key, value] of Object.entries(stored)) {
    if (value === undefined) continue;
    const seen = visible?.[key];
    if (!(key in result)) {
      if (visible && seen === undefined) result[key] = cloneJson(value);
    } else if (depth > 0 && isObject(result[key]) && isObject(value)) {
      result[key] = withHiddenKeys(
        result[key] as JsonObject,
        value,
        isObject(seen) ? seen : visible ? {} : undefined,
        depth - 1,
      );
    }
  }
  return result;
}

export interface CombineOptions {
  /**
   * `outputs` after a trip through the text format (written with the text's filters, read back). Metadata that
   * the trip loses is hidden from the text and is carried over from `outputs`; without it nothing is.
   */
  visible?: Notebook;
}

export interface Combined {
  notebook: Notebook;
  /** For each cell of the result (= each cell of `inputs`), how it was matched. */
  matches: CellMatch[];
}

/**
 * The notebook a paired .ipynb should hold once its text was edited: the cells and their sources come from
 * `inputs` (read from the text); every cell whose source is unchanged keeps its outputs, execution count, id,
 * attachments and the metadata the text does not show from `outputs` (the .ipynb), wherever it moved. An edited
 * cell keeps its id, attachments and hidden metadata but loses its outputs. Cells only in `outputs` are dropped.
 */
export function combineInputsAndOutputs(inputs: Notebook, outputs: Notebook, options: CombineOptions = {}): Combined {
  const { visible } = options;
  const matches = matchCells(inputs.cells, outputs.cells);
  const visibleCells = visible && visible.cells.length === outputs.cells.length ? visible.cells : undefined;
  const keptIds = new Set<string>();
  for (const m of matches) {
    const id = m.kind === 'new' ? undefined : outputs.cells[m.outputIndex]!.id;
    if (typeof id === 'string') keptIds.add(id);
  }
  const taken = new Set(keptIds);
  const cells = inputs.cells.map((input, i): Cell => {
    const m = matches[i]!;
    if (m.kind === 'new') {
      const cell = cloneJson(input);
      if (typeof cell.id === 'string') {
        if (taken.has(cell.id)) cell.id = newCellId(taken);
        taken.add(cell.id);
      }
      return cell;
    }
    const stored = outputs.cells[m.outputIndex]!;
    // Outputs and attachments are shared with `outputs`, not copied: both notebooks are treated as immutable.
    const cell: Cell = m.kind === 'same' ? { ...stored, source: input.source } : cloneJson(input);
    if (m.kind === 'edited') {
      if (stored.id !== undefined) cell.id = stored.id;
      else delete cell.id;
      if (stored.attachments !== undefined) cell.attachments = stored.attachments;
    }
    // When the trip changed the number of cells, treat every stored key as hidden rather than lose it.
    const visibleMeta = visible ? (visibleCells?.[m.outputIndex]?.metadata ?? {}) : undefined;
    cell.metadata = withHiddenKeys(input.metadata, stored.metadata, visibleMeta, 0);
    return cell;
  });
  const minor = outputs.nbformat_minor;
  // Cell ids exist from nbformat 4.5 on; a notebook kept at an older minor version gets none.
  if (minor < 5) for (const cell of cells) delete cell.id;
  // A text without notebook metadata (filter `-all`) cannot have changed it: the .ipynb's stands (jupytext's rule).
  const inputsJupytext = inputs.metadata.jupytext;
  const headerless = isObject(inputsJupytext) && inputsJupytext.notebook_metadata_filter === '-all';
  const metadata = headerless
    ? cloneJson(outputs.metadata)
    : withHiddenKeys(inputs.metadata, outputs.metadata, visible?.metadata, 1);
  const jupytext = metadata.jupytext;
  if (isObject(jupytext)) {
    delete jupytext.text_representation;
    if (Object.keys(jupytext).length === 0) delete metadata.jupytext;
  }
  return { notebook: { ...outputs, nbformat: 4, nbformat_minor: minor, metadata, cells }, matches };
}
