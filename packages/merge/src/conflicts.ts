import type { Cell, JsonObject, JsonValue, Notebook } from '@nbpipe/nbformat';
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
    (r: JsonValue): r is StoredConflict => isPlainObject(r) && typeof r.kind === 'string' && typeof r.message === 'string',
  );
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
  // A marker line: the marker itself, then a space or the end of the line (git's definition).
  const marker = new RegExp(`^(<{${size}}|>{${size}})(?: |$)`);
  const deleted = new RegExp(`^<{${size}} (.*) CELL DELETED >{${size}}$`);
  const out: ConflictRecord[] = [];
  for (const record of storedRecords(nb.metadata))
    out.push({ cellIndex: null, kind: record.kind, message: record.message });
  nb.cells.forEach((cell: Cell, cellIndex) => {
    const lines = String(cell.source ?? '').split('\n');
    const deletedLine = lines.findIndex((line) => deleted.test(line));
    if (deletedLine >= 0) {
      const who = deleted.exec(lines[deletedLine]!)![1]!;
      out.push({ cellIndex, kind: 'deleted', message: `deleted in ${who.toLowerCase()} but changed on the other side (marker on line ${deletedLine + 1})` });
    }
    const markerLine = lines.findIndex((line, k) => k !== deletedLine && marker.test(line));
    if (markerLine >= 0)
      out.push({ cellIndex, kind: 'source', message: `conflict markers in the source (line ${markerLine + 1})` });
    for (const record of storedRecords(cell.metadata)) out.push({ cellIndex, kind: record.kind, message: record.message });
  });
  return out;
}
