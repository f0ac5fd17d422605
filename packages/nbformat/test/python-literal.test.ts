import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findLiteralAssignment, parsePythonLiteral, PythonLiteralError } from '@nbpipe/nbformat';

describe('findLiteralAssignment', () => {
  it('reads the upstream declarations Ploomber accepts', () => {
    const read = (src: string) => findLiteralAssignment(src, 'upstream')?.value;
    expect(read("upstream = ['a', 'b']")).toEqual(['a', 'b']);
    expect(read('upstream = ("a", "b",)')).toEqual(['a', 'b']);
    expect(read("upstream = {'a': None, 'b': None}")).toEqual({ a: null, b: null });
    expect(read("upstream = {'a', 'b'}")).toEqual(['a', 'b']);
    expect(read('upstream = None')).toBeNull();
    expect(read("upstream = 'a', 'b'  # a bare tuple")).toEqual(['a', 'b']);
    expect(read("upstream: list = ['a']")).toEqual(['a']);
    expect(read("product = None\nupstream = [\n    'a',  # first\n    'b'\n]\nx = 1")).toEqual(['a', 'b']);
    expect(read("upstream = ['a']\nupstream = ['b']")).toEqual(['b']);
    expect(read('x = 1\nif True:\n    upstream = ["nested"]')).toBeUndefined();
    expect(read('upstream == 3')).toBeUndefined();
  });

  it('says where a value is not a literal, and reports the line of the assignment', () => {
    expect(findLiteralAssignment('a = 1\n\nupstream = ["x"]', 'upstream')?.line).toBe(2);
    expect(() => findLiteralAssignment('upstream = get_upstream()', 'upstream')).toThrow(PythonLiteralError);
    expect(() => findLiteralAssignment("upstream = ['a'] + more", 'upstream')).toThrow(/not a literal/);
    expect(() => findLiteralAssignment("upstream = ['a'", 'upstream')).toThrow(PythonLiteralError);
  });

  it('reads strings as Python does: quotes, escapes, raw, triple quotes, concatenation', () => {
    expect(
      parsePythonLiteral(String.raw`'it\'s' "a\tb" r'\d' '''x
y''' u'\u00e9' '\x41'`),
    ).toBe("it's" + 'a\tb' + '\\d' + 'x\ny' + 'é' + 'A');
    expect(parsePythonLiteral('[1, -2.5, 0x1F, 1_000, True, False, None]')).toEqual([
      1,
      -2.5,
      31,
      1000,
      true,
      false,
      null,
    ]);
    expect(() => parsePythonLiteral("f'{x}'")).toThrow(/f-strings/);
  });

  it('reads every escape as ast.literal_eval does: \\a \\b \\f \\v and octal too', () => {
    expect(parsePythonLiteral(String.raw`'\a\b\f\v\101\0\12\q'`)).toBe('\x07\b\f\vA\0\n\\q');
    expect(() => parsePythonLiteral(String.raw`'\N{BULLET}'`)).toThrow(/bad escape/);
  });
});

// Python literals written in many styles, checked against Python's own ast.literal_eval.
const pyString = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\ud800-\udfff]/g, ''));
const leaf = fc.oneof(
  pyString,
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(true, false, null),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(pyString, tie('node'), { maxKeys: 3 }),
  ),
})).node;

function toPython(v: unknown, style: number): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0.0' : Number.isInteger(v) ? String(v) : v.toExponential();
  if (typeof v === 'string')
    return style % 2
      ? JSON.stringify(v)
      : `'${[...v].map((c) => (c === "'" || c === '\\' ? '\\' + c : c < ' ' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')}'`;
  if (Array.isArray(v)) {
    const items = v.map((x) => toPython(x, style + 1));
    return style % 3 === 0 && items.length
      ? `(${items.join(', ')},)`
      : `[${items.join(',\n  ')}${style % 2 && items.length ? ',' : ''}]`;
  }
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${toPython(k, style)}: ${toPython(x, style + 1)}`)
    .join(', ')}}`;
}

describe('parsePythonLiteral', () => {
  it('agrees with ast.literal_eval', () => {
    const samples = fc
      .sample(fc.tuple(value, fc.nat(5)), { numRuns: 150, seed: 42 })
      .map(([v, style]) => toPython(v, style));
    const script =
      'import ast, json, sys\nfor line in sys.stdin:\n    print(json.dumps(ast.literal_eval(json.loads(line))))\n';
    const r = spawnSync('python3', ['-c', script], {
      input: samples.map((s) => JSON.stringify(s)).join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const expected = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    samples.forEach((source, i) => expect(parsePythonLiteral(source), source).toEqual(expected[i]));
  });
});
