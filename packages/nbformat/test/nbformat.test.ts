import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NotebookError,
  dumpPython,
  parse,
  parseJson,
  parseNotebook,
  parseWithoutOutputs,
  pythonFloatRepr,
  serialize,
  splitLines,
  type Notebook,
} from '@nbpipe/nbformat';
import { CORPORA } from '@nbpipe/test-support';

function corpusNotebooks(dir = CORPORA): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...corpusNotebooks(p));
    else if (name.endsWith('.ipynb')) out.push(p);
  }
  return out;
}

describe('python-compatible JSON', () => {
  it('renders floats as Python repr does', () => {
    expect(pythonFloatRepr(1)).toBe('1.0');
    expect(pythonFloatRepr(1e-5)).toBe('1e-05');
    expect(pythonFloatRepr(0.0001)).toBe('0.0001');
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(123456789012345.6)).toBe('123456789012345.6');
    expect(pythonFloatRepr(-2.5)).toBe('-2.5');
    expect(pythonFloatRepr(1.5e300)).toBe('1.5e+300');
  });
  it('keeps number lexemes that JavaScript would rewrite', () => {
    const text = '{"a": 1.0, "b": 1e-5, "c": 12345678901234567890, "d": 0.5, "e": NaN}';
    expect(dumpPython(parseJson(text), 0)).toBe(
      '{\n"a": 1.0,\n"b": 1e-05,\n"c": 12345678901234567890,\n"d": 0.5,\n"e": NaN\n}',
    );
  });
  it('splits lines like str.splitlines(True)', () => {
    expect(splitLines('a\nb\r\nc\rd\u2028e\x0cf')).toEqual(['a\n', 'b\r\n', 'c\r', 'd\u2028', 'e\x0c', 'f']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('x\n')).toEqual(['x\n']);
  });
});

describe('parse errors', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated', '{"cells": [', /line 1, column 12/],
    ['empty', '', /empty/],
    ['binary', 'PK\u0000\u0003', /binary/],
    ['not an object', '[1, 2]', /not a notebook/],
    [
      'wrong version',
      '{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}',
      /nbformat 5 is not supported/,
    ],
    [
      'missing output type',
      '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "source": "", "metadata": {}, "execution_count": null, "outputs": [{}]}]}',
      /cells\[0\]\.outputs\[0\]: missing "output_type"/,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(`reports ${name} with the file name`, () => {
      let error: unknown;
      try {
        parse(text, { path: 'x.ipynb' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NotebookError);
      expect((error as Error).message).toMatch(/^x\.ipynb: /);
      expect((error as Error).message).toMatch(message);
    });
  }
});

describe('corpus', () => {
  const files = corpusNotebooks();
  it('finds the shared corpora', () => expect(files.length).toBeGreaterThan(100));
  it('every notebook parses or fails with the typed error', () => {
    for (const f of files) {
      try {
        parse(readFileSync(f, 'utf8'), { path: f });
      } catch (e) {
        expect(e, f).toBeInstanceOf(NotebookError);
      }
    }
  });
});

const cellSource = fc
  .array(fc.oneof(fc.string(), fc.constantFrom('\n', '\r\n', 'é', '\u2028', '"', '\\')), { maxLength: 8 })
  .map((a) => a.join(''));
const notebookArb: fc.Arbitrary<Notebook> = fc
  .array(
    fc.oneof(
      fc.record({ cell_type: fc.constant('markdown' as const), metadata: fc.constant({}), source: cellSource }),
      fc.record({
        cell_type: fc.constant('code' as const),
        metadata: fc.dictionary(
          fc.string({ maxLength: 5 }),
          fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.string(), fc.boolean()),
        ),
        source: cellSource,
        execution_count: fc.option(fc.nat(), { nil: null }),
        outputs: fc.array(
          fc.record({ output_type: fc.constant('stream'), name: fc.constant('stdout'), text: cellSource }),
          { maxLength: 2 },
        ),
      }),
    ),
    { maxLength: 6 },
  )
  .map((cells) => ({ nbformat: 4 as const, nbformat_minor: 4, metadata: {}, cells }) as unknown as Notebook);

describe('properties', () => {
  it('serialize → parse → serialize is the identity', () => {
    fc.assert(
      fc.property(notebookArb, (nb) => {
        const once = serialize(nb);
        expect(serialize(parse(once))).toBe(once);
      }),
    );
  });
  it("parseWithoutOutputs reads what parse reads, with every code cell's outputs empty", () => {
    const withoutOutputs = (nb: Notebook) => ({
      ...nb,
      cells: nb.cells.map((c) => (c.cell_type === 'code' ? { ...c, outputs: [] } : c)),
    });
    fc.assert(
      fc.property(notebookArb, fc.boolean(), (nb, indented) => {
        // Compact text is written the way Python's json.dumps writes it, which keeps -Infinity (JSON.stringify would not).
        const text = indented ? serialize(nb) : dumpPython(parseJson(serialize(nb)), null);
        expect(parseWithoutOutputs(Buffer.from(text))).toEqual(withoutOutputs(parse(text)));
      }),
    );
  });
  it('parseWithoutOutputs reports bad input exactly as parse does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          notebookArb.map((nb) => serialize(nb).slice(0, 60)),
        ),
        (text) => {
          const error = (read: () => unknown) => {
            try {
              read();
              return undefined;
            } catch (e) {
              return (e as Error).message;
            }
          };
          const expected = error(() => parse(text, { path: 'x.ipynb' }));
          if (expected !== undefined)
            expect(error(() => parseWithoutOutputs(Buffer.from(text), { path: 'x.ipynb' }))).toBe(expected);
        },
      ),
    );
  });
  it('parse throws nothing but NotebookError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          notebookArb.map((nb) => serialize(nb).slice(0, 40)),
        ),
        (text) => {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(NotebookError);
          }
        },
      ),
    );
  });
});

describe('a lenient read (validate: false, as nbpipe fmt reads)', () => {
  const notebook = () => ({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        cell_type: 'code',
        id: 'a',
        metadata: {},
        source: 'x',
        execution_count: null,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: 'hi' },
          { output_type: 'display_data', data: { 'text/plain': 'x', 'application/json': { a: 1 } }, metadata: {} },
        ],
      },
      {
        cell_type: 'markdown',
        id: 'b',
        metadata: {},
        source: '*x*',
        attachments: { 'a.png': { 'image/png': 'AA==' } },
      },
    ],
  });
  const lenient = (text: string) => parseNotebook(text, { validate: false, path: 'x.ipynb' }).notebook;

  it("refuses, naming the place, what Jupyter's writer cannot write either", () => {
    const cases: [string, (nb: Record<string, any>) => void][] = [
      ['missing "cells"', (nb) => delete nb.cells],
      ['cells: expected an array, got object', (nb) => (nb.cells = {})],
      ['cells[0]: expected an object, got null', (nb) => (nb.cells = [null])],
      ['missing "metadata"', (nb) => delete nb.metadata],
      ['cells[0].outputs[0]: expected an object, got number', (nb) => (nb.cells[0].outputs = [7])],
    ];
    for (const [problem, damage] of cases) {
      const nb = notebook();
      damage(nb);
      expect(() => lenient(JSON.stringify(nb)), problem).toThrow(`x.ipynb: invalid notebook: ${problem}`);
    }
    const withoutSource = notebook();
    delete (withoutSource.cells[0] as Partial<(typeof withoutSource.cells)[0]>).source;
    expect(lenient(JSON.stringify(withoutSource)).cells).toHaveLength(2);
  });

  it('gives a notebook serialize can write, or a NotebookError, whatever value replaces any part', () => {
    const paths = (value: unknown, at: (string | number)[] = []): (string | number)[][] =>
      typeof value === 'object' && value !== null
        ? [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, Array.isArray(value) ? Number(k) : k]))]
        : [at];
    const allPaths = paths(notebook()).filter((p) => p.length > 0);
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), fc.jsonValue({ maxDepth: 2 }), (path, replacement) => {
        const nb = notebook() as unknown as Record<string | number, unknown>;
        let parent = nb;
        for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
        parent[path[path.length - 1]!] = replacement;
        let read;
        try {
          read = lenient(JSON.stringify(nb));
        } catch (e) {
          expect(e).toBeInstanceOf(NotebookError);
          return;
        }
        expect(() => serialize(read)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
