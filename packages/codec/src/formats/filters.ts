import { JsonFloat, type JsonObject, type JsonValue } from '@nbpipe/nbformat';
import { JUPYTEXT_CELL_METADATA, isValidMetadataKey } from './cellMetadata.js';

/**
 * jupytext's metadata filters: a comma-separated list of keys, `-key` to exclude, `key`/`+key` to
 * include, `all`/`-all` as wildcards, `a.b` for a nested key. `true`/`false` mean `all`/`-all`.
 */
export interface MetadataFilter {
  include: 'all' | string[];
  exclude: 'all' | string[];
}

/** What goes into the text header by default. */
export const DEFAULT_NOTEBOOK_METADATA = ['jupytext', 'kernelspec', 'kernel_info', 'orphan', 'tocdepth'];
/** Cell metadata that is not written to text by default. */
export const DEFAULT_IGNORED_CELL_METADATA = [
  'autoscroll',
  'collapsed',
  'scrolled',
  'trusted',
  'execution',
  'ExecuteTime',
  ...JUPYTEXT_CELL_METADATA,
];

export type FilterSetting = string | boolean | MetadataFilter | undefined | null;

/** Memoized parseFilterSetting (bounded; callers get copies): the same few settings are parsed for every cell. */
const parsedFilters = new Map<string, MetadataFilter>();

export function parseMetadataFilter(setting: FilterSetting): MetadataFilter {
  if (typeof setting !== 'string') return parseFilterSetting(setting);
  let parsed = parsedFilters.get(setting);
  if (!parsed) {
    parsed = parseFilterSetting(setting);
    if (parsedFilters.size < 100) parsedFilters.set(setting, parsed);
  }
  return {
    include: parsed.include === 'all' ? 'all' : [...parsed.include],
    exclude: parsed.exclude === 'all' ? 'all' : [...parsed.exclude],
  };
}

function parseFilterSetting(setting: FilterSetting): MetadataFilter {
  if (setting === undefined || setting === null) return { include: [], exclude: [] };
  if (setting === true) return { include: 'all', exclude: [] };
  if (setting === false) return { include: [], exclude: 'all' };
  if (typeof setting === 'object') return setting;
  const include: string[] = [];
  const exclude: string[] = [];
  for (const raw of setting.split(',')) {
    const key = raw.trim();
    if (key.startsWith('-')) exclude.push(key.slice(1).trim());
    else if (key.startsWith('+')) include.push(key.slice(1).trim());
    else include.push(key);
  }
  const section = (keys: string[]): 'all' | string[] => (keys.includes('all') ? 'all' : keys.filter(Boolean));
  return { include: section(include), exclude: section(exclude) };
}

/** The filter written back as a string (`a,b,-all`); jupytext-internal cell keys are left out. */
export function metadataFilterToString(filter: MetadataFilter): string {
  const entries =
    filter.include === 'all' ? ['all'] : filter.include.filter((k) => !JUPYTEXT_CELL_METADATA.includes(k));
  if (filter.exclude === 'all') entries.push('-all');
  else entries.push(...filter.exclude.map((k) => '-' + k));
  return entries.join(',');
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);

/** group() of the key lists seen so far: the same few lists are applied to every cell. */
const groupedKeys = new Map<string, Map<string, string[]>>();

/** Split `a.b.c` keys into top-level keys and the nested remainder (callers do not modify the result). */
function group(keys: readonly string[]): Map<string, string[]> {
  const cacheKey = keys.join('\0');
  let out = groupedKeys.get(cacheKey);
  if (out) return out;
  out = new Map<string, string[]>();
  if (groupedKeys.size >= 256) groupedKeys.clear(); // filters come from settings: a handful per process
  groupedKeys.set(cacheKey, out);
  for (const key of keys) {
    const dot = key.indexOf('.');
    const head = dot < 0 ? key : key.slice(0, dot);
    const rest = out.get(head) ?? [];
    if (dot >= 0) rest.push(key.slice(dot + 1));
    else rest.push('');
    out.set(head, rest);
  }
  return out;
}

/** Keep only `keepOnly` (if given) and drop `exclude`, both possibly nested (`a.b`). */
function subsetMetadata(
  metadata: JsonObject,
  keepOnly: readonly string[] | undefined,
  exclude: readonly string[],
  unsupported?: Set<string>,
): JsonObject {
  const out: JsonObject = {};
  const keep = keepOnly ? group(keepOnly) : undefined;
  const drop = group(exclude);
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (!isValidMetadataKey(key)) {
      unsupported?.add(key);
      continue;
    }
    let v: JsonValue = value;
    if (keep) {
      const sub = keep.get(key);
      if (!sub) continue;
      if (!sub.includes('')) {
        if (!isObject(v)) continue;
        v = subsetMetadata(v, sub, []);
      }
    }
    const subDrop = drop.get(key);
    if (subDrop) {
      if (subDrop.includes('')) continue;
      if (isObject(v)) v = subsetMetadata(v, undefined, subDrop);
    }
    out[key] = v;
  }
  return out;
}

/**
 * Apply a user filter on top of a default one. A default that lists keys to keep (the notebook
 * default) keeps only those unless the user says `all`; a default that lists keys to drop (the cell
 * default) keeps everything else.
 */
export function filterMetadata(
  metadata: JsonObject,
  userSetting: FilterSetting,
  defaults: { keep?: readonly string[]; drop?: readonly string[] },
  unsupported?: Set<string>,
): JsonObject {
  const user = parseMetadataFilter(userSetting);
  if (defaults.keep) {
    if (user.include === 'all')
      return subsetMetadata(metadata, undefined, user.exclude === 'all' ? [] : user.exclude, unsupported);
    if (user.exclude === 'all') return subsetMetadata(metadata, user.include, [], unsupported);
    return subsetMetadata(metadata, [...new Set([...user.include, ...defaults.keep])], user.exclude, unsupported);
  }
  if (user.include === 'all')
    return subsetMetadata(metadata, undefined, user.exclude === 'all' ? [] : user.exclude, unsupported);
  if (user.exclude === 'all') return subsetMetadata(metadata, user.include, [], unsupported);
  let md = metadata;
  if (Array.isArray(md.tags) && md.tags.length === 0) {
    md = { ...md };
    delete md.tags;
  }
  const dropDefaults = (defaults.drop ?? []).filter((k) => !user.include.includes(k));
  return subsetMetadata(md, undefined, [...new Set([...user.exclude, ...dropDefaults])], unsupported);
}

export function filterNotebookMetadata(
  metadata: JsonObject,
  setting: FilterSetting,
  unsupported?: Set<string>,
): JsonObject {
  return filterMetadata(metadata, setting, { keep: DEFAULT_NOTEBOOK_METADATA }, unsupported);
}

export function filterCellMetadata(
  metadata: JsonObject,
  setting: FilterSetting,
  unsupported?: Set<string>,
): JsonObject {
  return filterMetadata(metadata, setting, { drop: DEFAULT_IGNORED_CELL_METADATA }, unsupported);
}
