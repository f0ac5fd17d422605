// Python itself is the oracle for Python's spelling of values: repr() of floats and strings, sorted() of keys, and
// ast.literal_eval() of string literals with escapes. One python process per property, for every sample at once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, pythonFloatRepr, pythonStringRepr, readPythonEscape } from '@nbpipe/nbformat';
import { SYSTEM_PYTHON } from '@nbpipe/test-support';

/** `expression` (of `value`) evaluated by Python for each JSON value given, its results as JSON. */
function python(expression: string, values: unknown[]): unknown[] {
  const program = `import ast, json, sys\nvalues = json.load(sys.stdin)\njson.dump([${expression} for value in values], sys.stdout)`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', program], {
    input: JSON.stringify(values),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

/** The body of a Python str literal, escapes read with readPythonEscape; undefined when one is malformed. */
function readLiteralBody(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length;) {
    if (body[i] !== '\\') {
      out += body[i++];
      continue;
    }
    const escape = readPythonEscape(body, i + 1);
    if (!escape) return undefined;
    out += escape.value;
    i = escape.end;
  }
  return out;
}

const hasPython = existsSync(SYSTEM_PYTHON);
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom("it's", 'say "hi"', `both ' and "`, '\\', '\x7f\x85\xa0\xad', '\u2028\u2029\u200b\ufeff', '😀\ud800'),
);
/** Pieces of a literal's body: plain characters and every kind of escape, well formed or not. */
const escapeBody = fc
  .array(
    fc.oneof(
      fc.constantFrom('a', 'é', '😀', ' ', '"'),
      fc.constantFrom(
        '\\a',
        '\\b',
        '\\f',
        '\\n',
        '\\r',
        '\\t',
        '\\v',
        '\\\\',
        "\\'",
        '\\"',
        '\\\n',
        '\\q',
        '\\ ',
        '\\8',
      ),
      fc.integer({ min: 0, max: 0o777 }).map((n) => `\\${n.toString(8)}`),
      fc.integer({ min: 0, max: 7 }).map((n) => `\\${n}7`),
      fc.integer({ min: 0, max: 0xff }).map((n) => `\\x${n.toString(16).padStart(2, '0')}`),
      fc.integer({ min: 0, max: 0xffff }).map((n) => `\\u${n.toString(16).padStart(4, '0')}`),
      fc.integer({ min: 0, max: 0x10ffff }).map((n) => `\\U${n.toString(16).padStart(8, '0')}`),
      fc.constantFrom('\\x4', '\\u12', '\\U0011ffff', '\\xg0'),
    ),
    { maxLength: 8 },
  )
  .map((pieces) => pieces.join(''));

describe.skipIf(!hasPython)("Python's spelling of values, against Python", () => {
  it('pythonFloatRepr is repr(float)', () => {
    const doubles = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0.1, 1e16, 1e-5, 1e-4, 5e-324, -0),
    );
    const samples = fc.sample(doubles, 3000);
    // Sent as text, so that -0 and the exact double cross JSON.
    const expected = python(
      'repr(float(value))',
      samples.map((x) => (Object.is(x, -0) ? '-0' : String(x))),
    );
    samples.forEach((x, k) => expect(pythonFloatRepr(x), String(x)).toBe(expected[k]));
  });

  it('pythonStringRepr is repr(str)', () => {
    // Lone surrogates cannot cross JSON to Python as text: they go as their code points.
    const samples = fc.sample(text, 3000).map((s) => Array.from(s, (ch) => ch.codePointAt(0)!));
    const expected = python(
      "(lambda s: [repr(s), [ord(c) for c in s if __import__('unicodedata').category(c) == 'Cn']])(''.join(map(chr, value)))",
      samples,
    ) as [string, number[]][];
    samples.forEach((codes, k) => {
      const [repr, unassignedForPython] = expected[k]!;
      // A character Unicode assigned after the version Python was built with is unassigned (escaped) for Python.
      if (unassignedForPython.some((code) => !/\p{Cn}/u.test(String.fromCodePoint(code)))) return;
      expect(pythonStringRepr(String.fromCodePoint(...codes)), JSON.stringify(codes)).toBe(repr);
    });
  });

  it('compareCodePoints orders keys as sorted()', () => {
    const samples = fc.sample(
      fc.array(
        fc
          .string({ unit: 'grapheme-ascii', maxLength: 3 })
          .chain((a) => fc.constantFrom(a, `${a}😀`, `${a}\ue000`, `${a}é`)),
        { minLength: 2, maxLength: 8 },
      ),
      500,
    );
    const expected = python('sorted(value)', samples);
    samples.forEach((keys, k) => expect([...keys].sort(compareCodePoints)).toEqual(expected[k]));
  });

  it('readPythonEscape reads string literals as ast.literal_eval, and refuses those Python refuses', () => {
    const samples = fc.sample(escapeBody, 3000);
    const results = pythonLiteralEval(samples);
    samples.forEach((body, k) => {
      const ours = readLiteralBody(body);
      const theirs = results[k]!;
      expect(ours === undefined ? null : Array.from(ours, (ch) => ch.codePointAt(0)), JSON.stringify(body)).toEqual(
        theirs,
      );
    });
  });
});

/** ast.literal_eval of each body inside single quotes: the code points of the string, or null when Python refuses it. */
function pythonLiteralEval(bodies: string[]): (number[] | null)[] {
  const program = [
    'import ast, json, sys, warnings',
    "warnings.simplefilter('ignore')",
    'out = []',
    'for body in json.load(sys.stdin):',
    '    try:',
    '        out.append([ord(c) for c in ast.literal_eval("\'" + body + "\'")])',
    '    except (SyntaxError, ValueError):',
    '        out.append(None)',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  const r = spawnSync(SYSTEM_PYTHON, ['-c', program], {
    input: JSON.stringify(bodies),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as (number[] | null)[];
}
