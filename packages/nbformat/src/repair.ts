/**
 * Repair on read: the slips Jupyter opens without complaint, made valid the way Jupyter's reader would, so that every
 * nbpipe command reads what Jupyter reads. Nothing else is touched.
 */
import type { JsonObject, JsonValue } from './types.js';

/**
 * A slip found in a notebook on read; `path` as in validation problems, e.g. `cells[3].id`. `repaired`: whether
 * reading changed it, or kept it as written because Jupyter does (its writer keeps it too).
 */
export interface Repair {
  path: string;
  problem: string;
  repaired: boolean;
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const SAFE_DECIMAL = /^\d{1,15}$/;

/**
 * A cell id derived from the cell's position and content (FNV-1a, 8 hex characters), unique among `taken`. Derived
 * rather than random so that reading the same notebook twice gives the same bytes (git's clean filter must).
 */
export function derivedCellId(cell: JsonObject, index: number, taken: ReadonlySet<string>): string {
  const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
  for (let attempt = 0; ; attempt++) {
    const text = `${index}\u0000${attempt}\u0000${String(cell.cell_type)}\u0000${source}`;
    let hash = 0x811c9dc5;
    for (let k = 0; k < text.length; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193) >>> 0;
    const id = hash.toString(16).padStart(8, '0');
    if (!taken.has(id)) return id;
  }
}

/**
 * Give every cell without an id, or with the id of an earlier cell, a derived one (what Jupyter's reader does for
 * nbformat 4.5 and later, with random ids). Returns the repairs.
 */
export function repairCellIds(cells: readonly JsonValue[]): Repair[] {
  const repairs: Repair[] = [];
  const taken = new Set<string>();
  for (const cell of cells) if (isObject(cell) && typeof cell.id === 'string') taken.add(cell.id);
  const seen = new Set<string>();
  cells.forEach((cell, index) => {
    if (!isObject(cell)) return;
    const path = `cells[${index}]`;
    if (!('id' in cell)) repairs.push({ path, problem: 'missing "id"', repaired: true });
    else if (typeof cell.id === 'string' && seen.has(cell.id))
      repairs.push({ path: `${path}.id`, problem: `duplicate cell id "${cell.id}"`, repaired: true });
    else {
      if (typeof cell.id === 'string') seen.add(cell.id);
      return;
    }
    const id = derivedCellId(cell, index, taken);
    cell.id = id;
    taken.add(id);
    seen.add(id);
  });
  return repairs;
}

/** An execution count written as a string: its decimal integer, else null (Jupyter's prompt shows nothing then). */
function repairCount(owner: JsonObject, path: string, repairs: Repair[]): void {
  const count = owner.execution_count;
  if (typeof count !== 'string') return;
  repairs.push({
    path: `${path}.execution_count`,
    problem: `expected null or a non-negative integer, got string ${JSON.stringify(count)}`,
    repaired: true,
  });
  owner.execution_count = SAFE_DECIMAL.test(count) ? Number(count) : null;
}

/**
 * Repair an nbformat 4 notebook's JSON in place (after its lines are rejoined) and return the slips found: cell ids
 * missing or duplicated (4.5+) and execution counts written as strings are repaired; execute results without an
 * execution count are reported but kept. Anything else, valid or not, is left as it is for validation to judge.
 */
export function repairNotebook(nb: JsonObject): Repair[] {
  if (!Array.isArray(nb.cells)) return [];
  const repairs: Repair[] = [];
  nb.cells.forEach((cell, index) => {
    if (!isObject(cell) || cell.cell_type !== 'code') return;
    const path = `cells[${index}]`;
    repairCount(cell, path, repairs);
    if (!Array.isArray(cell.outputs)) return;
    cell.outputs.forEach((output, k) => {
      if (!isObject(output) || output.output_type !== 'execute_result') return;
      const outputPath = `${path}.outputs[${k}]`;
      // Jupyter's reader and writer keep a result without a count as it is, and so does nbpipe (fmt stays byte-exact).
      if (!('execution_count' in output))
        repairs.push({ path: outputPath, problem: 'missing "execution_count"', repaired: false });
      else repairCount(output, outputPath, repairs);
    });
  });
  if (typeof nb.nbformat_minor === 'number' && nb.nbformat_minor >= 5) repairs.push(...repairCellIds(nb.cells));
  return repairs.sort((a, b) => compareCellPaths(a.path, b.path));
}

/** Order repairs by cell, then as found (ids are checked in a second pass). */
function compareCellPaths(a: string, b: string): number {
  const cellIndex = (p: string) => Number(/^cells\[(\d+)\]/.exec(p)?.[1] ?? -1);
  return cellIndex(a) - cellIndex(b);
}
