/**
 * Give a stripped notebook back, cell by cell, the outputs this clone had for the same cells.
 *
 * git hands the filter's smudge side blobs that no clean ever produced here: the result of a merge, a rebased or
 * cherry-picked commit, a popped stash that met other changes. Their cells are mostly the user's own, unchanged, so
 * each code cell without outputs takes the outputs and execution count of the same cell in an earlier version of the
 * notebook. "The same cell" is the same cell type and source (the n-th of several identical cells matches the n-th
 * occurrence), never the id: ids are renumbered by stripping. A cell whose source the other side changed finds no
 * match and stays without outputs, since the old ones no longer describe it.
 */
import type { Cell, CodeCell, Notebook } from '@nbpipe/nbformat';

/** What identifies a cell across versions: its type and source, and which occurrence of that pair it is. */
function cellKeys(cells: readonly Cell[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((cell) => {
    const content = `${cell.cell_type}\0${cell.source}`;
    const occurrence = seen.get(content) ?? 0;
    seen.set(content, occurrence + 1);
    return `${occurrence}\0${content}`;
  });
}

/**
 * `target` with outputs and execution counts filled in from `earlier` versions (most recent first, read lazily: a
 * cell takes its outputs from the most recent version holding that cell, even when that version has none for it,
 * and versions are read only while some cell is unmatched). Cells that already have outputs or a count keep them.
 * Returns undefined when nothing was restored.
 */
export function restoreCellOutputs(target: Notebook, earlier: Iterable<Notebook>): Notebook | undefined {
  const keys = cellKeys(target.cells);
  const wanted = new Set(keys.filter((_, i) => target.cells[i]!.cell_type === 'code'));
  const found = new Map<string, CodeCell>();
  if (wanted.size > 0)
    for (const version of earlier) {
      cellKeys(version.cells).forEach((key, i) => {
        if (wanted.delete(key)) found.set(key, version.cells[i] as CodeCell);
      });
      // Before asking for the next version, which costs reading and parsing it.
      if (wanted.size === 0) break;
    }
  let restored = false;
  const cells = target.cells.map((cell, i) => {
    const match = found.get(keys[i]!);
    if (cell.cell_type !== 'code' || !match) return cell;
    const copy = { ...cell };
    if (copy.outputs.length === 0 && match.outputs.length > 0) copy.outputs = match.outputs;
    if (copy.execution_count === null && match.execution_count !== null) copy.execution_count = match.execution_count;
    restored ||= copy.outputs !== cell.outputs || copy.execution_count !== cell.execution_count;
    return copy;
  });
  return restored ? { ...target, cells } : undefined;
}
