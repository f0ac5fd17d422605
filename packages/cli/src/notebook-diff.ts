/**
 * Diffing notebook files, shared by `nbpipe diff` and git's diff driver. Kept free of heavy imports (the merge package
 * is loaded on first use) because git starts the driver once per changed notebook.
 */
import { decodeNotebookBytes, parse, type Notebook } from '@nbpipe/nbformat';

/** What a diff compares; everything by default. */
export interface DiffSelection {
  sources?: boolean;
  outputs?: boolean;
  metadata?: boolean;
  ids?: boolean;
}

/** One side of a diff: a label for headers and the notebook, absent for an added or deleted file. */
export interface DiffSide {
  label: string;
  notebook?: Notebook;
}

/** A missing side reads as a notebook with no cells and no metadata, so an added file shows every cell as added. */
function orEmpty(side: Notebook | undefined, other: Notebook | undefined): Notebook {
  return side ?? { nbformat: 4, nbformat_minor: other?.nbformat_minor ?? 5, metadata: {}, cells: [] };
}

/** Diff two notebooks (either may be missing) and render it for a terminal, plus the structured form. */
export async function notebookDiff(
  from: DiffSide,
  to: DiffSide,
  selection: DiffSelection,
  color: boolean,
): Promise<{ empty: boolean; text: string; json: unknown }> {
  const { diffNotebooks, isEmptyDiff, renderDiff, diffToJson } = await import('@nbpipe/merge');
  const diff = diffNotebooks(orEmpty(from.notebook, to.notebook), orEmpty(to.notebook, from.notebook), selection);
  return {
    empty: isEmptyDiff(diff),
    text: renderDiff(diff, { color, fromLabel: from.label, toLabel: to.label }),
    json: diffToJson(diff),
  };
}

/** Parse notebook bytes; errors name `label`. */
export function parseBytes(bytes: Uint8Array, label: string): Notebook {
  return parse(decodeNotebookBytes(bytes, label), { path: label });
}
