import { parse, type Cell, type JsonObject, type JsonValue, type Notebook } from '@nbpipe/nbformat';
import { isPlainObject } from './json.js';

/**
 * Where conflicts live in a merged notebook (so Jupyter still opens it):
 * - `source`: git-style markers inside a cell's source;
 * - `deleted`: a `<<<<<<< LOCAL CELL DELETED >>>>>>>` line at the top of a cell's source (one side
 *   deleted the cell, the other changed it; the changed cell is kept);
 * - `metadata`, `cell_type`, `moved`, `attachments`: a record in `metadata.nbpipe.conflicts` of the
 *   cell (or of the notebook for notebook metadata), with the values involved.
 * Resolving means editing the source and deleting the `nbpipe` metadata key.
 */
export type ConflictKind = 'source' | 'deleted' | 'metadata' | 'cell_type' | 'moved' | 'attachments';

export interface ConflictRecord {
  /** 0-based index of the cell in the merged notebook; null for the notebook's own metadata. */
  cellIndex: number | null;
  kind: ConflictKind;
  message: string;
}

/** The metadata key that holds nbpipe's conflict records. */
export const CONFLICT_METADATA_KEY = 'nbpipe';

/** A record as stored in metadata: kind and message, plus the values of a JSON conflict. */
export interface StoredConflict extends JsonObject {
  kind: ConflictKind;
  message: string;
}

/** The marker line put at the top of a cell that one side deleted and the other changed. */
export function deletedCellMarker(label: string, markerSize: number): string {
  return `${'<'.repeat(markerSize)} ${label.toUpperCase()} CELL DELETED ${'>'.repeat(markerSize)}`;
}

/** Add conflict records to a metadata dict, keeping any already there; returns a new dict. */
export function withConflictRecords(metadata: JsonObject, records: readonly StoredConflict[]): JsonObject {
  if (!records.length) return metadata;
  const current = metadata[CONFLICT_METADATA_KEY];
  const section: JsonObject = isPlainObject(current) ? { ...current } : {};
  const previous = Array.isArray(section.conflicts) ? section.conflicts : [];
  section.conflicts = [...previous, ...records];
  return { ...metadata, [CONFLICT_METADATA_KEY]: section };
}

function storedRecords(metadata: JsonObject | undefined): StoredConflict[] {
  const section = metadata?.[CONFLICT_METADATA_KEY];
  if (!isPlainObject(section) || !Array.isArray(section.conflicts)) return [];
  return section.conflicts.filter(
    (r: JsonValue): r is StoredConflict =>
      isPlainObject(r) && typeof r.kind === 'string' && typeof r.message === 'string',
  );
}

/** A marker line: the opening or closing marker, then a space or the end of the line (git's definition). */
function markerPattern(size: number): RegExp {
  return new RegExp(`^(<{${size}}|>{${size}})(?: |$)`);
}

/**
 * Where the conflicts are in a text that git's text merge left markers in (a paired script, or a notebook git merged as
 * text): the 1-based line of each opening marker, and of any closing marker left without one. `=======` alone is not
 * counted: it underlines Markdown headings.
 */
export function conflictMarkerLines(text: string, options: FindConflictsOptions = {}): number[] {
  const marker = markerPattern(options.markerSize ?? 7);
  const lines: number[] = [];
  let open = false;
  text.split('\n').forEach((line, i) => {
    const found = marker.exec(line)?.[1];
    if (!found) return;
    if (found.startsWith('<') || !open) lines.push(i + 1);
    open = found.startsWith('<');
  });
  return lines;
}

export interface FindConflictsOptions {
  /** Length of the markers to look for (git's conflict-marker-size; default 7). */
  markerSize?: number;
}

/**
 * Every unresolved conflict in a notebook: conflict markers left in cell sources, and conflict
 * records in cell or notebook metadata (`metadata.nbpipe.conflicts`).
 */
export function findConflicts(nb: Notebook, options: FindConflictsOptions = {}): ConflictRecord[] {
  const size = options.markerSize ?? 7;
  const marker = markerPattern(size);
  const deleted = new RegExp(`^<{${size}} (.*) CELL DELETED >{${size}}$`);
  const out: ConflictRecord[] = [];
  for (const record of storedRecords(nb.metadata))
    out.push({ cellIndex: null, kind: record.kind, message: record.message });
  nb.cells.forEach((cell: Cell, cellIndex) => {
    const lines = String(cell.source ?? '').split('\n');
    const deletedLine = lines.findIndex((line) => deleted.test(line));
    if (deletedLine >= 0) {
      const who = deleted.exec(lines[deletedLine]!)![1]!;
      out.push({
        cellIndex,
        kind: 'deleted',
        message: `deleted in ${who.toLowerCase()} but changed on the other side (marker on line ${deletedLine + 1})`,
      });
    }
    const markerLine = lines.findIndex((line, k) => k !== deletedLine && marker.test(line));
    if (markerLine >= 0)
      out.push({ cellIndex, kind: 'source', message: `conflict markers in the source (line ${markerLine + 1})` });
    for (const record of storedRecords(cell.metadata))
      out.push({ cellIndex, kind: record.kind, message: record.message });
  });
  return out;
}

/** An unresolved conflict in a file: a notebook's cell or metadata (`cellIndex`), or a marker line of a text. */
export type FileConflict = ConflictRecord | { line: number; kind: 'text'; message: string };

const isNotebookFile = (path: string) => path.toLowerCase().endsWith('.ipynb');

/**
 * Every unresolved conflict in a file, given its path (for its kind) and content: for a notebook, what
 * `findConflicts` finds, or git's marker lines when git's text merge left it unreadable as JSON; for a text (a
 * paired script or Markdown file), git's marker lines. A notebook that cannot be read and holds no marker throws
 * the reader's error.
 */
export function findFileConflicts(path: string, text: string, options: FindConflictsOptions = {}): FileConflict[] {
  const textConflicts = (message: string) =>
    conflictMarkerLines(text, options).map((line): FileConflict => ({ line, kind: 'text', message }));
  if (!isNotebookFile(path)) return textConflicts('conflict markers');
  let notebook: Notebook;
  try {
    notebook = parse(text, { path });
  } catch (e) {
    const markers = textConflicts('git text conflict markers (not a notebook until resolved)');
    if (markers.length === 0) throw e;
    return markers;
  }
  return findConflicts(notebook, options);
}

/** A conflict for a message: `cell 3 (source): conflict markers in the source (line 2)`, `line 12: conflict markers`. */
export function describeConflict(conflict: FileConflict): string {
  if ('line' in conflict) return `line ${conflict.line}: ${conflict.message}`;
  return `${conflict.cellIndex === null ? 'notebook' : `cell ${conflict.cellIndex}`} (${conflict.kind}): ${conflict.message}`;
}
