import type { Value } from './env.js';

/** The Jinja delimiters Ploomber uses in grid names and products, so they do not clash with env.yaml's `{{ }}`. */
const PLACEHOLDER = /\[\[\s*([^\]]*?)\s*\]\]/g;

function hasGridPlaceholder(text: string): boolean {
  return /\[\[[^\]]*\]\]/.test(text);
}

/**
 * The combinations of a `grid`: a mapping is the Cartesian product of its values (last key varies
 * fastest; a scalar is one value); a list of mappings is each one's product, concatenated. Returns
 * the key of the first empty list instead, for the caller to report.
 */
export function gridCombinations(grids: Record<string, Value>[]): Record<string, Value>[] | { empty: string } {
  const combos: Record<string, Value>[] = [];
  for (const grid of grids) {
    let partial: Record<string, Value>[] = [{}];
    for (const [param, values] of Object.entries(grid)) {
      const list = Array.isArray(values) ? values : [values];
      if (list.length === 0) return { empty: param };
      partial = partial.flatMap((combo) => list.map((v) => ({ ...combo, [param]: v })));
    }
    combos.push(...partial);
  }
  return combos;
}

/** How Python's str() prints a grid value, which is what Ploomber's template gives. */
function pythonStr(v: Value): string {
  return typeof v === 'string'
    ? v
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : v === null
          ? 'None'
          : JSON.stringify(v);
}

/** `[[param]]` replaced by the combination's value; a parameter this combination lacks renders as "" (Ploomber's Jinja). */
function fillGridPlaceholders(template: string, combo: Record<string, Value>): string {
  return template.replace(PLACEHOLDER, (_, param: string) => (param in combo ? pythonStr(combo[param]!) : ''));
}

/** A grid task's name: its `[[param]]`s filled, else the name followed by the index, no separator (`fit-` → `fit-0`). */
export function gridTaskName(name: string, combo: Record<string, Value>, index: number): string {
  return hasGridPlaceholder(name) ? fillGridPlaceholders(name, combo) : `${name}${index}`;
}

/**
 * A grid task's product path (`/`-separated): `-index` before the first dot of the file name that is
 * not its first character (`m.tar.gz` → `m-0.tar.gz`, `.hidden` → `.hidden-0`), then the `[[param]]`s
 * filled. Ploomber 0.23 adds the index whether the path has placeholders or not.
 */
export function gridProductPath(path: string, combo: Record<string, Value>, index: number): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const file = path.slice(slash + 1);
  const dot = file.indexOf('.', 1);
  const indexed = dot < 0 ? `${file}-${index}` : `${file.slice(0, dot)}-${index}${file.slice(dot)}`;
  return fillGridPlaceholders(dir + indexed, combo);
}
