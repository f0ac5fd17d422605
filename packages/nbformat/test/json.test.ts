import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonFloat,
  JsonNestingError,
  MAX_JSON_DEPTH,
  NotebookError,
  dumpPython,
  parse,
  parseJson,
  parseWithoutOutputs,
  type JsonValue,
} from '@nbpipe/nbformat';
import { SYSTEM_PYTHON } from '@nbpipe/test-support';

// Python's own json.dumps is the oracle: whatever path dumpPython takes (native JSON.stringify or the
// JavaScript writer), the bytes must be Python's.
const PYTHON_DUMPS = `
import json, sys
for line in sys.stdin:
    value = json.loads(line)
    sys.stdout.write(json.dumps(json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False, separators=(',', ': '))) + '\\n')
`;

function pythonDumps(values: JsonValue[]): string[] {
  const input = values.map((v) => JSON.stringify(v)).join('\n') + '\n';
  const r = spawnSync(SYSTEM_PYTHON, ['-c', PYTHON_DUMPS], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as string);
}

const tricky = fc.constantFrom(
  '\u0001nbpipe-float\u0001',
  ' "\\u0001nbpipe-float\\u0001"',
  'a"\u0001nbpipe-float\u0001',
  '\u2028',
  'é',
  '"',
  '\\',
  '\u001b[0m',
);
const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(
    '0',
    '10',
    '2',
    '01',
    '-1',
    '4294967295',
    '__proto__',
    'toJSON',
    '\u0001nbpipe-float\u0001',
    '\ue000',
    '😀',
  ),
);
const leaf = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  tricky,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e21, 1e-7, 123456789.5, 0.1, 1e16, 5e-324),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value as fc.Arbitrary<JsonValue>;

describe('dumpPython matches Python json.dumps', () => {
  it.skipIf(!existsSync(SYSTEM_PYTHON))('on random JSON (sorted keys, floats, integer-like and tricky keys)', () => {
    const values = fc.sample(jsonValue, { numRuns: 400, seed: 20240601 });
    const expected = pythonDumps(values);
    values.forEach((v, k) => expect(dumpPython(v), JSON.stringify(v)).toBe(expected[k]));
  });

  it('writes parsed float lexemes as Python would, wherever they sit', () => {
    const text = '{"b": [1.0, {"z": 1e-05, "a": 2.50}], "a": "\\u0001nbpipe-float\\u0001", "0": 1.5}';
    expect(dumpPython(parseJson(text))).toBe(
      '{\n "0": 1.5,\n "a": "\\u0001nbpipe-float\\u0001",\n "b": [\n  1.0,\n  {\n   "a": 2.5,\n   "z": 1e-05\n  }\n ]\n}',
    );
  });

  it('keeps JsonFloat lexemes and skips undefined members', () => {
    expect(dumpPython({ x: new JsonFloat(1, '1.0'), y: undefined, z: [undefined] } as unknown as JsonValue)).toBe(
      '{\n "x": 1.0,\n "z": [\n  null\n ]\n}',
    );
  });
});

describe('nesting depth', () => {
  const notebookWith = (metadataValue: string, output = '') =>
    `{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {}, "outputs": [${output}], "source": "1"}],` +
    ` "metadata": {"x": ${metadataValue}}, "nbformat": 4, "nbformat_minor": 5}`;
  const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const objects = (n: number, leaf = '1') => '{"a": '.repeat(n) + leaf + '}'.repeat(n);
  const jsonOutput = (value: string) =>
    `{"output_type": "display_data", "metadata": {}, "data": {"application/json": ${value}}}`;

  it('rejects nesting deeper than MAX_JSON_DEPTH with one NotebookError naming the file, on every parse path', () => {
    const deep = [
      notebookWith(arrays(100_000)),
      notebookWith(objects(100_000)),
      // `1.0` takes the exact-number parser instead of JSON.parse
      notebookWith(objects(100_000, '1.0')),
      notebookWith('{}', jsonOutput(arrays(100_000))),
      notebookWith('1.0', jsonOutput(objects(MAX_JSON_DEPTH))),
    ];
    for (const text of deep) {
      for (const read of [
        () => parse(text, { path: 'deep.ipynb' }),
        () => parseWithoutOutputs(Buffer.from(text), { path: 'deep.ipynb' }),
      ]) {
        expect(read).toThrow(NotebookError);
        expect(read).toThrow(`deep.ipynb: nesting deeper than ${MAX_JSON_DEPTH} levels`);
      }
    }
    expect(() => parseJson(arrays(MAX_JSON_DEPTH + 1))).toThrow(JsonNestingError);
    expect(() => parseJson(`[1.0, ${arrays(MAX_JSON_DEPTH)}]`)).toThrow(JsonNestingError);
  });

  it('reads what Python reads: nesting up to the limit parses', () => {
    expect(parseJson(arrays(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    expect(parseJson(`[1.0, ${arrays(MAX_JSON_DEPTH - 1)}]`)).toBeInstanceOf(Array);
    const text = notebookWith(arrays(990), jsonOutput(objects(990)));
    expect(parse(text).metadata.x).toBeInstanceOf(Array);
    expect(parseWithoutOutputs(Buffer.from(text)).metadata.x).toBeInstanceOf(Array);
  });
});
