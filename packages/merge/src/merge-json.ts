import type { JsonValue } from '@nbpipe/nbformat';
import { isPlainObject, jsonEqual } from './json.js';

/** A key both sides changed differently; `undefined` means the key is absent on that side. */
export interface JsonConflict {
  path: string[];
  base: JsonValue | undefined;
  local: JsonValue | undefined;
  remote: JsonValue | undefined;
}

export interface JsonMergeResult {
  value: JsonValue | undefined;
  conflicts: JsonConflict[];
}

/**
 * Three-way merge of JSON values: a change on one side is taken, the same change on both once,
 * dicts are merged key by key, and anything else changed differently on both sides is a
 * conflict that keeps the local value (or the remote one if local deleted it, so no edit is lost).
 */
export function mergeJson(
  base: JsonValue | undefined,
  local: JsonValue | undefined,
  remote: JsonValue | undefined,
  path: string[] = [],
): JsonMergeResult {
  if (jsonEqual(local, remote) || jsonEqual(base, remote)) return { value: local, conflicts: [] };
  if (jsonEqual(base, local)) return { value: remote, conflicts: [] };
  if (isPlainObject(local) && isPlainObject(remote) && (base === undefined || isPlainObject(base))) {
    const value: Record<string, JsonValue> = {};
    const conflicts: JsonConflict[] = [];
    for (const key of new Set([...Object.keys(local), ...Object.keys(remote)])) {
      const merged = mergeJson(base?.[key], local[key], remote[key], [...path, key]);
      if (merged.value !== undefined) value[key] = merged.value;
      conflicts.push(...merged.conflicts);
    }
    return { value, conflicts };
  }
  return { value: local !== undefined ? local : remote, conflicts: [{ path, base, local, remote }] };
}
