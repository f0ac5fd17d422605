import type { Cell, CodeCell, MarkdownCell, Notebook, RawCell } from './types.js';

/**
 * A new cell id in Jupyter's style (8 hex characters, like `uuid4().hex[:8]`), unique among `taken`.
 */
export function newCellId(taken?: ReadonlySet<string>): string {
  for (;;) {
    // Web Crypto (a global) rather than node:crypto, whose import would cost every CLI start-up.
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex');
    if (!taken?.has(id)) return id;
  }
}

/** A cell's source as one string, whether stored as a string or as a list of lines. */
export function sourceText(cell: Pick<Cell, 'source'>): string {
  const s = cell.source as unknown;
  return Array.isArray(s) ? s.join('') : (s as string);
}

export function codeCell(source: string, extra: Partial<CodeCell> = {}): CodeCell {
  return { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source, ...extra };
}
export function markdownCell(source: string, extra: Partial<MarkdownCell> = {}): MarkdownCell {
  return { cell_type: 'markdown', metadata: {}, source, ...extra };
}
export function rawCell(source: string, extra: Partial<RawCell> = {}): RawCell {
  return { cell_type: 'raw', metadata: {}, source, ...extra };
}

/** An empty nbformat 4.5 notebook. */
export function emptyNotebook(metadata: Notebook['metadata'] = {}): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata, cells: [] };
}

/** Deep copy of JSON-like data (keeps JsonFloat instances, which are immutable). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneJson(v);
    return out as T;
  }
  return value;
}
