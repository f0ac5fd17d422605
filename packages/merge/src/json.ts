import { JsonFloat, type JsonObject, type JsonValue } from '@nbpipe/nbformat';

/** A plain JSON object (not an array, null or a JsonFloat). */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonFloat);
}

/**
 * Deep equality of JSON values. Key order is irrelevant; `undefined` (a missing key) equals only `undefined`.
 * A JsonFloat equals only a JsonFloat with the same text, because `1.0` and `1` are stored differently.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof JsonFloat || b instanceof JsonFloat)
    return a instanceof JsonFloat && b instanceof JsonFloat && a.raw === b.raw;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key of Object.keys(ao)) {
    if (ao[key] === undefined) continue;
    count++;
    if (!jsonEqual(ao[key], bo[key])) return false;
  }
  for (const key of Object.keys(bo)) if (bo[key] !== undefined) count--;
  return count === 0;
}

/** The value as plain JSON data: JsonFloat becomes a number, undefined members disappear. */
export function toPlainJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

/** Compact one-line JSON for display (keeps JsonFloat's Python text, e.g. `1.0`). */
export function formatJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof JsonFloat) return value.raw;
  if (Array.isArray(value)) return `[${value.map(formatJson).join(', ')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}: ${formatJson(value[k])}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}
