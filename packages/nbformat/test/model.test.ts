import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonFloat,
  NotebookError,
  decodeNotebookBytes,
  emptyNotebook,
  codeCell,
  markdownCell,
  newCellId,
  normalize,
  parse,
  serialize,
  sourceText,
  type Notebook,
} from '@nbpipe/nbformat';
// The benchmark generator: realistic notebooks (outputs of every type, PNGs, timing metadata, non-ASCII).
import { generateNotebook, generateNotebookText } from '../../../scripts/bench/generate.mjs';

function errorOf(fn: () => unknown): NotebookError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NotebookError);
    return e as NotebookError;
  }
  throw new Error('expected a NotebookError');
}

const nb = (cells: unknown[], minor = 5) => JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: minor });

describe('structural validation names the JSON path of the first problem', () => {
  const cases: [string, string, string, RegExp][] = [
    ['missing cells', '{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}', '', /missing "cells"/],
    ['a cell that is not an object', nb([3]), 'cells[0]', /expected an object, got number/],
    [
      'an unknown cell type',
      nb([{ cell_type: 'heading', id: 'a', metadata: {}, source: '' }]),
      'cells[0].cell_type',
      /"code", "markdown" or "raw"/,
    ],
    [
      'a bad id',
      nb([{ cell_type: 'markdown', id: 'has space', metadata: {}, source: '' }]),
      'cells[0].id',
      /letters, digits/,
    ],
    [
      'source of the wrong type',
      nb([{ cell_type: 'markdown', id: 'a', metadata: {}, source: 7 }]),
      'cells[0].source',
      /a string or a list of strings/,
    ],
    [
      'an unknown output type',
      nb([
        {
          cell_type: 'code',
          id: 'a',
          metadata: {},
          source: '',
          execution_count: null,
          outputs: [{ output_type: 'pyout' }],
        },
      ]),
      'cells[0].outputs[0].output_type',
      /unknown output type "pyout"/,
    ],
    [
      'a stream without text',
      nb([
        {
          cell_type: 'code',
          id: 'a',
          metadata: {},
          source: '',
          execution_count: null,
          outputs: [{ output_type: 'stream', name: 'stdout' }],
        },
      ]),
      'cells[0].outputs[0]',
      /missing "text"/,
    ],
    [
      'a negative execution count',
      nb([{ cell_type: 'code', id: 'a', metadata: {}, source: '', execution_count: -1, outputs: [] }]),
      'cells[0].execution_count',
      /null or a non-negative integer/,
    ],
    [
      'a kernelspec without name',
      '{"cells": [], "metadata": {"kernelspec": {"display_name": "P"}}, "nbformat": 4, "nbformat_minor": 4}',
      'metadata.kernelspec',
      /missing "name"/,
    ],
  ];
  for (const [what, text, path, message] of cases) {
    it(what, () => {
      const e = errorOf(() => parse(text, { path: 'n.ipynb' }));
      expect(e.code).toBe('INVALID');
      expect(e.jsonPath).toBe(path);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/^n\.ipynb: invalid notebook: /);
    });
  }

  it('can be skipped: validate: false still checks JSON and version', () => {
    const text = nb([{ cell_type: 'markdown', metadata: {}, source: '' }]);
    expect(parse(text, { validate: false }).cells).toHaveLength(1);
    expect(errorOf(() => parse('{"nbformat": 2}', { validate: false })).code).toBe('UNSUPPORTED_VERSION');
  });
});

describe('JSON errors carry line and column', () => {
  it('points at the problem', () => {
    const e = errorOf(() => parse('{\n "cells": [\n  1,\n  }\n', { path: 'x.ipynb' }));
    expect(e.code).toBe('JSON');
    expect([e.line, e.column]).toEqual([4, 3]);
    expect(e.message).toBe('x.ipynb: invalid JSON at line 4, column 3: unexpected character "}"');
  });
  it('reports a truncated file at its end', () => {
    const text = serialize(emptyNotebook()).slice(0, 30);
    const e = errorOf(() => parse(text));
    expect(e.line).toBe(text.split('\n').length);
  });
});

describe('decoding bytes', () => {
  it('accepts UTF-8 with or without a BOM', () => {
    const text = serialize(emptyNotebook());
    expect(parse(decodeNotebookBytes(Buffer.from('\ufeff' + text)))).toEqual(parse(text));
  });
  it('rejects empty, binary and non-UTF-8 input with distinct codes', () => {
    expect(errorOf(() => decodeNotebookBytes(new Uint8Array(), 'a')).code).toBe('EMPTY');
    expect(errorOf(() => decodeNotebookBytes(Buffer.from([0x7b, 0, 0x7d]), 'a')).code).toBe('BINARY');
    expect(errorOf(() => decodeNotebookBytes(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'a')).code).toBe('ENCODING');
    expect(errorOf(() => parse('  \n\t')).code).toBe('EMPTY');
  });
});

describe('nbformat 3 is upgraded as Jupyter does', () => {
  const v3 = JSON.stringify({
    metadata: { name: 'old', signature: 'sha256:x' },
    nbformat: 3,
    nbformat_minor: 0,
    worksheets: [
      {
        cells: [
          { cell_type: 'heading', level: 2, metadata: {}, source: ['Title'] },
          {
            cell_type: 'code',
            collapsed: false,
            input: ['print(1)\n', '1'],
            language: 'python',
            metadata: {},
            prompt_number: 3,
            outputs: [
              { output_type: 'stream', stream: 'stdout', text: ['1\n'] },
              { output_type: 'pyout', prompt_number: 3, text: ['1'], metadata: {} },
              { output_type: 'display_data', png: 'iVBOR', metadata: {} },
              { output_type: 'pyerr', ename: 'E', evalue: 'v', traceback: [] },
            ],
          },
        ],
      },
    ],
  });
  it('to a valid 4.5 notebook', () => {
    const n = parse(v3);
    expect([n.nbformat, n.nbformat_minor]).toEqual([4, 5]);
    expect(n.metadata).toEqual({});
    const [heading, code] = n.cells;
    expect(heading).toMatchObject({ cell_type: 'markdown', source: '## Title' });
    expect(code).toMatchObject({
      cell_type: 'code',
      source: 'print(1)\n1',
      execution_count: 3,
      metadata: { collapsed: false },
    });
    expect(code!.cell_type === 'code' && code!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: '1\n' },
      { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '1' }, metadata: {} },
      { output_type: 'display_data', data: { 'image/png': 'iVBOR' }, metadata: {} },
      { output_type: 'error', ename: 'E', evalue: 'v', traceback: [] },
    ]);
    expect(new Set(n.cells.map((c) => c.id)).size).toBe(2);
    expect(parse(serialize(n))).toEqual(n);
  });
});

describe('serialize stores multi-line strings as Jupyter does', () => {
  it('splits sources, stream text and text/* data into lines; keeps JSON data and images whole', () => {
    const n: Notebook = {
      ...emptyNotebook(),
      cells: [
        codeCell('a\nb', {
          id: 'c1',
          execution_count: 1,
          outputs: [
            { output_type: 'stream', name: 'stdout', text: 'x\ny\n' },
            {
              output_type: 'display_data',
              metadata: {},
              data: {
                'text/html': '<b>\n</b>',
                'application/json': { k: [1, 2] },
                'image/png': 'AAAA\nBBBB\n',
                'image/svg+xml': '<svg>\n</svg>',
              },
            },
          ],
        }),
        markdownCell('![x](attachment:x.png)', { id: 'm1', attachments: { 'x.png': { 'image/png': 'AAAA' } } }),
      ],
    };
    const stored = JSON.parse(serialize(n));
    expect(stored.cells[0].source).toEqual(['a\n', 'b']);
    expect(stored.cells[0].outputs[0].text).toEqual(['x\n', 'y\n']);
    expect(stored.cells[0].outputs[1].data).toEqual({
      'application/json': { k: [1, 2] },
      'image/png': 'AAAA\nBBBB\n',
      'image/svg+xml': ['<svg>\n', '</svg>'],
      'text/html': ['<b>\n', '</b>'],
    });
    expect(stored.cells[1].attachments).toEqual({ 'x.png': { 'image/png': 'AAAA' } });
    expect(parse(serialize(n))).toEqual(n);
  });

  it('drops the transient keys Jupyter drops (cell "trusted", notebook "signature")', () => {
    const n: Notebook = {
      ...emptyNotebook({ signature: 'x', kernelspec: { name: 'python3', display_name: 'P' } }),
      cells: [markdownCell('', { id: 'a', metadata: { trusted: true, tags: [] } })],
    };
    const stored = JSON.parse(serialize(n));
    expect(stored.metadata).toEqual({ kernelspec: { display_name: 'P', name: 'python3' } });
    expect(stored.cells[0].metadata).toEqual({ tags: [] });
  });

  it('keeps float lexemes through a round trip', () => {
    const text = nb([{ cell_type: 'markdown', id: 'a', metadata: { w: 'W', s: 'S', big: 'BIG' }, source: '' }])
      .replace('"W"', '1.0')
      .replace('"S"', '1e-5')
      .replace('"BIG"', '12345678901234567890');
    const n = parse(text);
    expect(n.cells[0]!.metadata.w).toBeInstanceOf(JsonFloat);
    expect(serialize(n)).toContain('"big": 12345678901234567890');
    expect(serialize(n)).toContain('"s": 1e-05');
    expect(serialize(n)).toContain('"w": 1.0');
  });
});

describe('helpers', () => {
  it('newCellId makes 8 hex characters, avoiding taken ones', () => {
    const taken = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const id = newCellId(taken);
      expect(id).toMatch(/^[0-9a-f]{8}$/);
      expect(taken.has(id)).toBe(false);
      taken.add(id);
    }
  });
  it('normalize gives 4.5 cells unique ids and code cells their required fields', () => {
    const n = normalize({
      ...emptyNotebook(),
      cells: [
        { cell_type: 'code', id: 'same', metadata: {}, source: ['a', 'b'] } as never,
        markdownCell('', { id: 'same' }),
      ],
    });
    expect(n.cells[0]).toMatchObject({ id: 'same', source: 'ab', outputs: [], execution_count: null });
    expect(n.cells[1]!.id).toMatch(/^[0-9a-f]{8}$/);
    expect(() => parse(serialize(n))).not.toThrow();
  });
  it('sourceText joins stored line lists', () => {
    expect(sourceText({ source: ['a\n', 'b'] as unknown as string })).toBe('a\nb');
    expect(sourceText({ source: 'x' })).toBe('x');
  });
});

describe('realistic generated notebooks', () => {
  it('are canonical: serialize(parse(text)) is the text, for sizes from 10 KB to 1 MB', () => {
    for (const [seed, targetBytes] of [
      [1, 10_000],
      [2, 60_000],
      [3, 250_000],
      [4, 1_000_000],
    ] as const) {
      const text = generateNotebookText(seed, { targetBytes });
      expect(Math.abs(Buffer.byteLength(text) - targetBytes)).toBeLessThanOrEqual(Math.max(2_000, targetBytes * 0.02));
      expect(serialize(parse(text, { path: `gen-${seed}` }))).toBe(text);
    }
  });
  it('are deterministic and hold every output type', () => {
    expect(generateNotebookText(9, { targetBytes: 80_000 })).toBe(generateNotebookText(9, { targetBytes: 80_000 }));
    const types = new Set<string>();
    for (let seed = 0; seed < 20; seed++)
      for (const cell of (generateNotebook(seed, { targetBytes: 40_000 }) as Notebook).cells)
        if (cell.cell_type === 'code') for (const o of cell.outputs) types.add(o.output_type);
    expect([...types].sort()).toEqual(['display_data', 'error', 'execute_result', 'stream']);
  });
  it('parse throws only NotebookError on any truncation or corruption', () => {
    const text = generateNotebookText(5, { targetBytes: 15_000 });
    fc.assert(
      fc.property(
        fc.nat(text.length),
        fc.nat(text.length),
        fc.string({ minLength: 1, maxLength: 3 }),
        (cut, at, junk) => {
          for (const broken of [text.slice(0, cut), text.slice(0, at) + junk + text.slice(at)]) {
            try {
              parse(broken);
            } catch (e) {
              expect(e).toBeInstanceOf(NotebookError);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
