import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeCell, emptyNotebook, JsonFloat, markdownCell, type Notebook } from '@nbpipe/nbformat';
import { injectParameters, parametersCell, removeInjectedParameters } from '@nbpipe/kernel';
import { pythonStringRepr } from '@nbpipe/nbformat';

/** Run Python code and return its stdout (Debian's python: any Python 3 will do, and it starts fast). */
function python(code: string, input: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const interestingChar = fc.constantFrom(
  'a',
  ' ',
  "'",
  '"',
  '\\',
  '\n',
  '\r',
  '\t',
  '\0',
  '\x1b',
  '\x7f',
  '\x85',
  '\xa0',
  'é',
  'ÿ',
  'Ā',
  '中',
  '\u2028',
  '\u2029',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udfff',
  '😀',
  '\u{e000}',
  '\u{10ffff}',
  '\u0301',
  '$',
  '{',
);
const tricky = fc.array(interestingChar, { maxLength: 12 }).map((chars) => chars.join(''));

describe('parametersCell', () => {
  it('writes papermill-style Python', () => {
    expect(
      parametersCell('python', {
        product: '/data/out.ipynb',
        upstream: { load: { data: 'a.csv', nb: "it's.ipynb" } },
        n: 3,
        ratio: 0.5,
        tiny: 1e-7,
        whole: new JsonFloat(1, '1.0'),
        flags: [true, false, null],
        nan: NaN,
        inf: -Infinity,
      }),
    ).toBe(
      [
        '# Parameters',
        "product = '/data/out.ipynb'",
        `upstream = {'load': {'data': 'a.csv', 'nb': "it's.ipynb"}}`,
        'n = 3',
        'ratio = 0.5',
        'tiny = 1e-07',
        'whole = 1.0',
        'flags = [True, False, None]',
        "nan = float('nan')",
        "inf = float('-inf')",
        '',
      ].join('\n'),
    );
  });

  it('writes R and Julia syntax', () => {
    const values = { product: 'C:\\out "x".html', n: 2, xs: [1.5, 'a'], d: { k: true }, none: null, nan: NaN };
    expect(parametersCell('R', values)).toBe(
      '# Parameters\nproduct = "C:\\\\out \\"x\\".html"\nn = 2\nxs = list(1.5, "a")\nd = list("k" = TRUE)\nnone = NULL\nnan = NaN\n',
    );
    expect(parametersCell('julia', { ...values, cost: '$5\n' })).toBe(
      '# Parameters\nproduct = "C:\\\\out \\"x\\".html"\nn = 2\nxs = [1.5, "a"]\nd = Dict("k" => true)\nnone = nothing\nnan = NaN\ncost = "\\$5\\n"\n',
    );
    expect(parametersCell('R', { 'my-param': 1, _x: 2, if: 3 })).toBe(
      '# Parameters\n`my-param` = 1\n`_x` = 2\n`if` = 3\n',
    );
  });

  it('uses the comment given and accepts an empty set of values', () => {
    expect(parametersCell('python', {}, { comment: 'Injected by nbpipe' })).toBe('# Injected by nbpipe\n');
  });

  it('rejects what the language cannot express, naming the parameter', () => {
    expect(() => parametersCell('scala', { a: 1 })).toThrow(
      'cannot write parameters in "scala": supported kernel languages are Python, R and Julia',
    );
    expect(() => parametersCell('python', { 'bad-name': 1 })).toThrow(
      'parameter name "bad-name" is not a valid Python variable name',
    );
    expect(() => parametersCell('python', { class: 1 })).toThrow(/not a valid Python variable name/);
    expect(() => parametersCell('julia', { 'a b': 1 })).toThrow(/not a valid Julia variable name/);
    expect(() => parametersCell('python', { when: new Date(0) })).toThrow(
      'parameter when: cannot write a value of type Date in Python (use JSON-like values)',
    );
    expect(() => parametersCell('python', { a: { b: [undefined] } })).toThrow(
      'parameter a.b[0]: cannot write a value of type undefined',
    );
    expect(() => parametersCell('R', { a: 'nul\0' })).toThrow(/NUL/);
  });

  // samples checked by one Python process each (a process per case would take seconds)
  it("matches Python's repr() for strings", () => {
    const strings = fc.sample(fc.oneof(tricky, fc.string({ unit: 'binary' })), 500);
    const answers = JSON.parse(
      python(
        'import json,sys,unicodedata as u\nprint(json.dumps([[repr(s), [c for c in s if u.category(c) == "Cn"]] for s in json.load(sys.stdin)]))',
        JSON.stringify(strings),
      ),
    ) as [string, string[]][];
    // characters assigned in Node's newer Unicode but not in this Python's are printable for one only
    const sameUnicode = (unassigned: string[]) => unassigned.every((c) => /\p{Cn}/u.test(c));
    const compared = answers.flatMap(([expected, unassigned], i) =>
      sameUnicode(unassigned) ? [[pythonStringRepr(strings[i]!), expected]] : [],
    );
    expect(compared.length).toBeGreaterThan(400);
    for (const [ours, expected] of compared) expect(ours).toBe(expected);
  });

  it('Python evaluates the cell back to the same values', () => {
    const name = fc
      .stringMatching(/^[a-z_][a-z0-9_]{0,8}$/)
      .filter((n) => !['if', 'in', 'is', 'as', 'or', 'and', 'def', 'del', 'for', 'not', 'try'].includes(n));
    const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    const cases = fc.sample(fc.dictionary(name, fc.oneof(value, tricky)), 200);
    const sources = cases.map((values) => parametersCell('python', values));
    const back = python(
      'import json,sys\nout=[]\nfor src in json.load(sys.stdin):\n  ns={}\n  exec(src, ns)\n  ns.pop("__builtins__")\n  out.append(ns)\nprint(json.dumps(out))',
      JSON.stringify(sources),
    );
    expect(JSON.parse(back)).toEqual(JSON.parse(JSON.stringify(cases)));
  });
});

describe('injectParameters', () => {
  const nb = (): Notebook => ({
    ...emptyNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3' } }),
    cells: [
      markdownCell('# T', { id: 'm' }),
      codeCell('a = 1', { id: 'p', metadata: { tags: ['parameters'] } }),
      codeCell('print(a)', { id: 'c' }),
    ],
  });

  it('goes right after the parameters cell, tagged injected-parameters', () => {
    const { notebook, index, placement } = injectParameters(nb(), { a: 2 }, { language: 'python' });
    expect([index, placement]).toEqual([2, 'after-parameters']);
    expect(notebook.cells.map((c) => c.id)).toEqual(['m', 'p', notebook.cells[2]!.id, 'c']);
    expect(notebook.cells[2]).toMatchObject({
      cell_type: 'code',
      source: '# Parameters\na = 2\n',
      metadata: { tags: ['injected-parameters'] },
      outputs: [],
      execution_count: null,
    });
    expect(notebook.cells[2]!.id).toMatch(/^[0-9a-f]{8}$/);
  });

  it('replaces an existing injected cell in place, keeping its id, and does not modify the input', () => {
    const first = injectParameters(nb(), { a: 2 }, { language: 'python' }).notebook;
    const snapshot = JSON.stringify(first);
    const second = injectParameters(first, { a: 3 }, { language: 'python' });
    expect(JSON.stringify(first)).toBe(snapshot);
    expect(second.placement).toBe('replaced');
    expect(second.notebook.cells).toHaveLength(4);
    expect(second.notebook.cells[2]!.id).toBe(first.cells[2]!.id);
    expect(second.notebook.cells[2]!.source).toBe('# Parameters\na = 3\n');
  });

  it('goes to the top without a parameters cell, without ids before nbformat 4.5', () => {
    const old: Notebook = { ...emptyNotebook(), nbformat_minor: 4, cells: [codeCell('x')] };
    const { notebook, placement } = injectParameters(old, { a: 1 }, { language: 'R' });
    expect(placement).toBe('top');
    expect(notebook.cells[0]).not.toHaveProperty('id');
    expect(notebook.cells[0]!.source).toBe('# Parameters\na = 1\n');
  });

  it('removeInjectedParameters undoes the injection', () => {
    const injected = injectParameters(nb(), { a: 2 }, { language: 'python' }).notebook;
    expect(removeInjectedParameters(injected)).toEqual(nb());
    const plain = nb();
    expect(removeInjectedParameters(plain)).toBe(plain);
  });
});
