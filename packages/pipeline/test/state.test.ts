import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '@nbpipe/test-support';
import { StateStore, type StateData } from '../src/state.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** Load a state file holding `content` (any JSON value). */
function load(content: unknown): StateStore {
  const { dir, cleanup } = tempDir('nbpipe-state-');
  cleanups.push(cleanup);
  mkdirSync(join(dir, '.nbpipe'));
  writeFileSync(join(dir, '.nbpipe/state.json'), JSON.stringify(content));
  return new StateStore(dir);
}

const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 8 });
const name = fc.string({ unit: fc.constantFrom(...'abcdefgh.-/'), minLength: 1, maxLength: 6 });
const strings = fc.dictionary(name, hex, { maxKeys: 3 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const taskRecord = fc.record(
  {
    status: fc.constantFrom('ok' as const, 'failed' as const),
    fingerprint: hex,
    parts: fc.record({ source: hex, params: hex, definition: hex, inputs: strings, upstream: strings }),
    products: strings,
    startedAt: fc.constant('2026-01-01T00:00:00.000Z'),
    durationMs: fc.nat(),
    head: hex,
    error: fc.string(),
    digest: hex,
  },
  { requiredKeys: ['status', 'startedAt', 'durationMs'] },
);
const analysis = fc.record(
  {
    contentHash: hex,
    upstream: fc.array(name, { maxLength: 3 }),
    upstreamProblem: fc.string(),
    line: fc.nat(),
    namesFormats: fc.boolean(),
  },
  { requiredKeys: ['contentHash'] },
);
const state: fc.Arbitrary<StateData> = fc.record(
  {
    version: fc.constant(1),
    tasks: fc.dictionary(name, taskRecord, { maxKeys: 4 }),
    files: fc.dictionary(name, fc.tuple(hex, hex), { maxKeys: 4 }),
    sources: fc.dictionary(name, analysis, { maxKeys: 4 }),
    running: fc.dictionary(name, fc.record({ pid: fc.integer({ min: 1 }), start: optional(hex) }), { maxKeys: 2 }),
    lastSuccess: fc.record({ head: optional(hex), at: fc.string() }),
  },
  { requiredKeys: ['version', 'tasks', 'files', 'sources'] },
);

/** Every place a value sits in a JSON tree, as paths of keys. */
function paths(value: unknown, at: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [at];
  return [at, ...Object.entries(value).flatMap(([key, v]) => paths(v, [...at, key]))];
}

function replaced(value: unknown, path: string[], by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string, unknown>;
  copy[path[0]!] = replaced(copy[path[0]!], path.slice(1), by);
  return copy;
}

describe('the state file', () => {
  it('is taken as written: whatever nbpipe writes there loads unchanged, without a warning', () => {
    fc.assert(
      fc.property(state, (data) => {
        const store = load(data);
        expect(store.problem).toBeUndefined();
        expect(store.data).toEqual(JSON.parse(JSON.stringify(data)));
      }),
      { numRuns: 50 },
    );
  });

  it('is set aside whole, naming its top-level key, when any value in it has the wrong type', () => {
    fc.assert(
      fc.property(
        // As written to the file: absent optional values are not there to be replaced.
        state
          .map((written) => JSON.parse(JSON.stringify(written)) as StateData)
          // A state of empty maps has no value below its top-level keys to replace.
          .filter((data) => paths(data).some((p) => p.length > 1))
          .chain((data) => {
            return fc.tuple(
              fc.constant(data),
              fc.constantFrom(...paths(data).filter((p) => p.length > 1)),
              fc.constantFrom<unknown>(null, 7, 'text', [], { x: 1 }),
            );
          }),
        ([data, path, by]) => {
          const broken = replaced(data, path, by);
          // Replacing a value by one of its own type (a string by a string, a map by a map) leaves the state valid.
          const original = path.reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], data);
          const sameKind = (a: unknown, b: unknown) =>
            typeof a === typeof b && Array.isArray(a) === Array.isArray(b) && (a === null) === (b === null);
          fc.pre(!sameKind(original, by));
          const store = load(broken);
          expect(store.problem).toBe(
            `.nbpipe/state.json: "${path[0]}" is not what nbpipe writes there; starting afresh`,
          );
          expect(store.data.tasks).toEqual({});
        },
      ),
      { numRuns: 200 },
    );
  });
});
