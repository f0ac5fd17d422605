import { isUtf8 } from 'node:buffer';
import { NotebookError } from './errors.js';
import { dumpPython, JsonNestingError, JsonSyntaxError, lineColumn, parseJson } from './json.js';
import { joinLines, splitLines } from './lines.js';
import type { Cell, JsonObject, JsonValue, MimeBundle, Notebook, Output } from './types.js';
import { upgradeV3 } from './upgrade.js';
import { findProblem, findWriterProblem } from './validate.js';
import { parseWithOutputsEmptied, scanOutputs } from './outputs-scan.js';
import { repairCellIds, repairNotebook, type Repair } from './repair.js';
import { downgradeToV3, serializeV3 } from './legacy.js';

export interface ParseOptions {
  /** File name used in error messages. */
  path?: string;
  /** false: check only the structure Jupyter's own writer needs too (findWriterProblem), not the whole schema. */
  validate?: boolean;
}

const isJsonMime = (mime: string) =>
  mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));

/** Decode file bytes as UTF-8, rejecting binary and invalid encodings with a NotebookError. */
export function decodeNotebookBytes(bytes: Uint8Array, path?: string): string {
  if (bytes.length === 0) throw new NotebookError('EMPTY', 'file is empty', path);
  if (bytes.includes(0)) throw new NotebookError('BINARY', 'binary file, not a notebook', path);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new NotebookError('ENCODING', 'not valid UTF-8 text', path);
  }
}

/** Parse JSON text with Python's number semantics; syntax errors become NotebookError('JSON') with line/column. */
export function parseNotebookJson(text: string, path?: string): JsonValue {
  try {
    return parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    if (e instanceof JsonNestingError) throw new NotebookError('JSON', e.message, path);
    // Checked only on failure (valid JSON is never blank and never holds a NUL), sparing two scans of every file.
    if (text.trim() === '') throw new NotebookError('EMPTY', 'file is empty', path);
    if (text.includes('\0')) throw new NotebookError('BINARY', 'binary file, not a notebook', path);
    const { line, column } = lineColumn(text, e.offset);
    throw new NotebookError('JSON', `invalid JSON at line ${line}, column ${column}: ${e.message}`, path, line, column);
  }
}

/** The version a notebook was stored in, before any upgrade on read. */
export interface NotebookVersion {
  nbformat: number;
  nbformat_minor: number;
}

/** A notebook as read: the nbformat 4 model, the version it was stored in, and the slips repaired on read. */
export interface ParsedNotebook {
  notebook: Notebook;
  version: NotebookVersion;
  repairs: Repair[];
}

/**
 * Parse notebook text into the nbformat 4 model (multi-line fields joined), repairing on read the slips Jupyter
 * tolerates (see repairNotebook). Throws only NotebookError. nbformat 3 is upgraded as Jupyter does; 1 and 2 are rejected.
 */
export function parse(text: string, options: ParseOptions = {}): Notebook {
  return parseNotebook(text, options).notebook;
}

/** `parse`, also telling the stored version and what was repaired (for validation and version-keeping writers). */
export function parseNotebook(text: string, options: ParseOptions = {}): ParsedNotebook {
  return notebookFromJson(parseNotebookJson(text, options.path), options);
}

/**
 * Parse notebook file bytes for a reader that never uses outputs (conversion to text): every cell's `outputs` is found
 * by scanOutputs and never decoded nor parsed, and they are most of a notebook's bytes and of the time. Code cells come
 * back with empty outputs, so the result must never be written back in place of the file. Input the fast path does not
 * take (another layout, malformed JSON, a problem the validation finds) goes through `parse`, which reports errors
 * exactly as for any other read; only the contents of output strings are not checked.
 */
export function parseWithoutOutputs(bytes: Uint8Array, options: ParseOptions = {}): Notebook {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > 0 && !buf.includes(0) && isUtf8(buf)) {
    const scan = scanOutputs(buf);
    if (scan && scan.ranges.size > 0) {
      const json = parseWithOutputsEmptied(buf, scan);
      // Anything else (an error included) is left to the full parse below, which reports it.
      if ((json as JsonObject | undefined)?.nbformat === 4) return notebookFromJson(json!, options).notebook;
    }
  }
  return parse(decodeNotebookBytes(bytes, options.path), options);
}

function notebookFromJson(json: JsonValue, options: ParseOptions): ParsedNotebook {
  const { path } = options;
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new NotebookError('NOT_A_NOTEBOOK', 'not a notebook: the JSON is not an object', path);
  let nb = json as JsonObject;
  if (!('nbformat' in nb)) throw new NotebookError('NOT_A_NOTEBOOK', 'not a notebook: missing "nbformat"', path);
  const version = {
    nbformat: nb.nbformat as number,
    nbformat_minor: typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 0,
  };
  if (nb.nbformat === 3) nb = upgradeV3(nb);
  else if (nb.nbformat !== 4)
    throw new NotebookError(
      'UNSUPPORTED_VERSION',
      `nbformat ${JSON.stringify(nb.nbformat)} is not supported (only 3, upgraded on read, and 4)`,
      path,
    );
  rejoinLines(nb);
  const repairs = repairNotebook(nb);
  const problem = options.validate === false ? findWriterProblem(nb) : findProblem(nb);
  if (problem)
    throw new NotebookError(
      'INVALID',
      `invalid notebook: ${problem.path ? problem.path + ': ' : ''}${problem.problem}`,
      path,
      undefined,
      undefined,
      problem.path,
    );
  return { notebook: nb as unknown as Notebook, version, repairs };
}

function rejoinMimeBundle(data: unknown): void {
  if (typeof data !== 'object' || data === null) return;
  const bundle = data as JsonObject;
  for (const [mime, value] of Object.entries(bundle)) {
    if (!isJsonMime(mime) && Array.isArray(value) && value.every((x) => typeof x === 'string'))
      bundle[mime] = value.join('');
  }
}

/** Join the multi-line fields of nbformat 4 JSON in place, as Jupyter's reader does (JSON mime types stay as they are). */
export function rejoinLines(nb: JsonObject): void {
  if (!Array.isArray(nb.cells)) return;
  for (const cell of nb.cells as JsonObject[]) {
    if (typeof cell !== 'object' || cell === null) continue;
    if (Array.isArray(cell.source)) cell.source = joinLines(cell.source);
    if (cell.attachments && typeof cell.attachments === 'object')
      for (const bundle of Object.values(cell.attachments as JsonObject)) rejoinMimeBundle(bundle);
    if (cell.cell_type === 'code' && Array.isArray(cell.outputs)) {
      for (const out of cell.outputs as JsonObject[]) {
        if (typeof out !== 'object' || out === null) continue;
        if (out.output_type === 'execute_result' || out.output_type === 'display_data') rejoinMimeBundle(out.data);
        else if (out.output_type && Array.isArray(out.text)) out.text = joinLines(out.text);
      }
    }
  }
}

const SPLIT_NON_TEXT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

function splitMimeBundle(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] =
      typeof value === 'string' && (mime.startsWith('text/') || SPLIT_NON_TEXT_MIMES.has(mime))
        ? splitLines(value)
        : value;
  }
  return out;
}

function splitOutput(out: Output): JsonObject {
  if (out.output_type === 'execute_result' || out.output_type === 'display_data')
    return out.data ? { ...out, data: splitMimeBundle(out.data) } : { ...out };
  if (out.output_type === 'stream' && typeof out.text === 'string') return { ...out, text: splitLines(out.text) };
  return { ...out };
}

function withoutKeys(obj: JsonObject, keys: readonly string[]): JsonObject {
  if (!keys.some((k) => k in obj)) return obj;
  const copy = { ...obj };
  for (const k of keys) delete copy[k];
  return copy;
}

/** The notebook as Jupyter's writer would store it (lines split, transient keys removed), as a JSON value. */
export function toStoredJson(nb: Notebook): JsonObject {
  const cells = nb.cells.map((cell: Cell) => {
    const out: JsonObject = { ...cell };
    if (typeof cell.source === 'string') out.source = splitLines(cell.source);
    if (cell.metadata && 'trusted' in cell.metadata) out.metadata = withoutKeys(cell.metadata, ['trusted']);
    if (cell.attachments && typeof cell.attachments === 'object') {
      const attachments: JsonObject = {};
      for (const [name, bundle] of Object.entries(cell.attachments as Record<string, MimeBundle>))
        attachments[name] = splitMimeBundle(bundle);
      out.attachments = attachments;
    }
    if (cell.cell_type === 'code' && Array.isArray(cell.outputs)) out.outputs = cell.outputs.map(splitOutput);
    return out;
  });
  return {
    ...nb,
    metadata: withoutKeys(nb.metadata, ['orig_nbformat', 'orig_nbformat_minor', 'signature']),
    cells,
  };
}

/** Serialize exactly as Jupyter's `nbformat.write` does: 1-space indent, sorted keys, lines split, trailing newline. */
export function serialize(nb: Notebook): string {
  return dumpPython(toStoredJson(nb), 1) + '\n';
}

/**
 * Serialize in a given stored version, as Jupyter's `nbformat.writes(nb, version)` does: nbformat 3 through Jupyter's
 * downgrade; nbformat 4 with that minor version, cell ids only from 4.5 (derived ones where missing).
 */
export function serializeVersion(nb: Notebook, version: NotebookVersion): string {
  if (version.nbformat === 3) return serializeV3(downgradeToV3(nb));
  const minor = version.nbformat_minor;
  const cells = nb.cells.map(({ ...cell }) => {
    if (minor < 5) delete cell.id;
    return cell;
  });
  if (minor >= 5) repairCellIds(cells);
  return serialize({ ...nb, nbformat_minor: minor, cells });
}

/** Add missing cell ids (nbformat ≥ 4.5) and the required empty fields; returns a new notebook. */
export function normalize(nb: Notebook): Notebook {
  const cells = nb.cells.map((cell) => {
    const copy = { ...cell, metadata: cell.metadata ?? {}, source: joinLines(cell.source) } as Cell;
    if (copy.cell_type === 'code') {
      copy.outputs = copy.outputs ?? [];
      copy.execution_count = copy.execution_count ?? null;
    }
    return copy;
  });
  if (nb.nbformat_minor >= 5) repairCellIds(cells);
  return { ...nb, metadata: nb.metadata ?? {}, cells };
}
