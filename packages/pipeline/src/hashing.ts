import { createHash } from 'node:crypto';

/** Bumped when the meaning of cached specs or fingerprints changes: every task is then outdated once. */
export const SPEC_VERSION = 1;

export const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** JSON with object keys sorted, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}
