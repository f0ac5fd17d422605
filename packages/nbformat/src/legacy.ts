/**
 * nbformat 3 (and 2) worksheets: their multi-line fields as Jupyter's v3 reader and writer store them, the v4 → v3
 * downgrade of Jupyter's converter, and the v3 writer (`nbformat.writes(nb, version=3)`, byte for byte).
 */
import { dumpPython } from './json.js';
import { splitLines } from './lines.js';
import { cloneJson } from './helpers.js';
import type { Cell, JsonObject, JsonValue, MimeBundle, Notebook, Output } from './types.js';

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The cells of every worksheet. */
export function* legacyCells(nb: JsonObject): Generator<JsonObject> {
  if (!Array.isArray(nb.worksheets)) return;
  for (const ws of nb.worksheets) {
    if (!isObject(ws) || !Array.isArray(ws.cells)) continue;
    for (const cell of ws.cells) if (isObject(cell)) yield cell;
  }
}

const MULTILINE_OUTPUT_KEYS = ['text', 'html', 'svg', 'latex', 'javascript', 'json'];

/** Apply a line transform, in place, to the multi-line fields of nbformat 2/3 worksheets (as their reader and writer do). */
export function mapLegacyLines(
  nb: JsonObject,
  fromList: boolean,
  transform: (v: JsonValue[] | string) => JsonValue,
): void {
  const applies = (v: JsonValue | undefined) =>
    fromList ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === 'string';
  for (const cell of legacyCells(nb)) {
    if (cell.cell_type === 'code') {
      if (applies(cell.input)) cell.input = transform(cell.input as JsonValue[] | string);
      if (!Array.isArray(cell.outputs)) continue;
      for (const output of cell.outputs) {
        if (!isObject(output)) continue;
        for (const key of MULTILINE_OUTPUT_KEYS)
          if (applies(output[key])) output[key] = transform(output[key] as JsonValue[] | string);
      }
    } else {
      for (const key of ['source', 'rendered'])
        if (applies(cell[key])) cell[key] = transform(cell[key] as JsonValue[] | string);
    }
  }
}

/** nbformat 3's reader: lines written with their ends are concatenated, older ones joined with "\n". */
export const joinV3Lines = (lines: JsonValue[] | string): JsonValue =>
  typeof lines === 'string'
    ? lines
    : typeof lines[0] === 'string' && /[\n\r]$/.test(lines[0])
      ? lines.join('')
      : lines.join('\n');

// nbformat 4 mime types and their nbformat 3 output keys; other mime types have no place in nbformat 3.
const V3_KEYS: [string, string][] = [
  ['text', 'text/plain'],
  ['html', 'text/html'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
  ['latex', 'text/latex'],
  ['json', 'application/json'],
  ['javascript', 'application/javascript'],
];

function downgradeOutput(output: Output): JsonObject {
  const out: JsonObject = { ...output };
  switch (output.output_type) {
    case 'execute_result':
    case 'display_data': {
      if (output.output_type === 'execute_result') {
        out.output_type = 'pyout';
        out.prompt_number = output.execution_count ?? null;
        delete out.execution_count;
      }
      const data: MimeBundle = output.data ?? {};
      delete out.data;
      for (const [key, mime] of V3_KEYS) {
        if (!(mime in data)) continue;
        // Python's json.dumps defaults: no indent, insertion order, ASCII only.
        out[key] =
          mime === 'application/json'
            ? dumpPython(data[mime]!, null, { sortKeys: false, ensureAscii: true })
            : data[mime]!;
      }
      return out;
    }
    case 'error':
      out.output_type = 'pyerr';
      return out;
    case 'stream':
      out.stream = output.name;
      delete out.name;
      return out;
    default:
      return out;
  }
}

const HEADING = /^(#+)\s*([^\n]*)/;

function downgradeCell(cell: Cell): JsonObject {
  const out: JsonObject = { ...cell, metadata: { ...cell.metadata } };
  delete out.id;
  delete out.attachments;
  if (cell.cell_type === 'code') {
    out.language = 'python';
    out.input = cell.source;
    delete out.source;
    out.prompt_number = cell.execution_count ?? null;
    delete out.execution_count;
    const metadata = out.metadata as JsonObject;
    out.collapsed = metadata.collapsed ?? false;
    delete metadata.collapsed;
    out.outputs = (cell.outputs ?? []).map(downgradeOutput);
  } else if (cell.cell_type === 'markdown' && !cell.source.includes('\n')) {
    // A one-line markdown heading was a heading cell in nbformat 3.
    const heading = HEADING.exec(cell.source);
    if (heading) Object.assign(out, { cell_type: 'heading', source: heading[2]!, level: heading[1]!.length });
  }
  return out;
}

/** nbformat 4 → 3 as Jupyter's converter does it: one worksheet, heading cells back, outputs keyed by v3 names. */
export function downgradeToV3(nb: Notebook): JsonObject {
  const metadata: JsonObject = { name: '', ...nb.metadata };
  for (const key of ['orig_nbformat', 'orig_nbformat_minor']) delete metadata[key];
  return {
    nbformat: 3,
    nbformat_minor: 0,
    metadata,
    worksheets: [{ cells: nb.cells.map(downgradeCell), metadata: {} }],
  };
}

/** nbformat 3 JSON written as Jupyter's v3 writer does: transient keys dropped, lines split, sorted keys, ASCII only. */
export function serializeV3(nb: JsonObject): string {
  const stored = cloneJson(nb);
  delete stored.orig_nbformat;
  delete stored.orig_nbformat_minor;
  for (const cell of legacyCells(stored)) {
    if (isObject(cell.metadata)) delete cell.metadata.trusted;
    delete cell.trusted;
  }
  mapLegacyLines(stored, false, (s) => splitLines(s as string));
  return dumpPython(stored, 1, { ensureAscii: true }) + '\n';
}
