import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  findProblem,
  parse,
  parseNotebook,
  parseWithoutOutputs,
  serialize,
  serializeVersion,
  type JsonObject,
} from '@nbpipe/nbformat';

const nb = (cells: unknown[], minor = 5) => JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: minor });
const code = (extra: object) => ({
  cell_type: 'code',
  execution_count: null,
  id: 'c',
  metadata: {},
  outputs: [],
  source: 'x',
  ...extra,
});
const result = (extra: object) => ({
  output_type: 'execute_result',
  data: { 'text/plain': '1' },
  metadata: {},
  ...extra,
});

describe('slips repaired on read', () => {
  it('a cell without an id in 4.5 gets one derived from its place and content, valid and unique', () => {
    const text = nb([
      { cell_type: 'markdown', metadata: {}, source: 'a' },
      { cell_type: 'markdown', metadata: {}, source: 'a' },
    ]);
    const { notebook, repairs } = parseNotebook(text);
    expect(repairs).toEqual([
      { path: 'cells[0]', problem: 'missing "id"', repaired: true },
      { path: 'cells[1]', problem: 'missing "id"', repaired: true },
    ]);
    const ids = notebook.cells.map((c) => c.id!);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(new Set(ids).size).toBe(2);
    // The git clean filter must give the same bytes every time.
    expect(serialize(parse(text))).toBe(serialize(notebook));
    expect(findProblem(JSON.parse(serialize(notebook)) as JsonObject)).toBeUndefined();
  });
  it('before 4.5 cells have no ids and get none', () => {
    const { notebook, repairs } = parseNotebook(nb([{ cell_type: 'markdown', metadata: {}, source: 'a' }], 4));
    expect(repairs).toEqual([]);
    expect(notebook.cells[0]).not.toHaveProperty('id');
  });
  it('a duplicate id: the first cell keeps it, the later one gets a new id that no other cell has', () => {
    const text = nb([
      { cell_type: 'markdown', id: 'x', metadata: {}, source: '' },
      { cell_type: 'raw', id: 'x', metadata: {}, source: '' },
      { cell_type: 'raw', id: 'y', metadata: {}, source: '' },
    ]);
    const { notebook, repairs } = parseNotebook(text);
    expect(repairs).toEqual([{ path: 'cells[1].id', problem: 'duplicate cell id "x"', repaired: true }]);
    expect(notebook.cells.map((c) => c.id)).toEqual(['x', expect.stringMatching(/^[0-9a-f]{8}$/), 'y']);
  });
  it('an execution count written as a decimal string becomes that integer, anything else null', () => {
    const counts = ['12', '0', 'x', '-3', '1.5', '', ' 7', '12345678901234567890'];
    const { notebook, repairs } = parseNotebook(nb(counts.map((c, k) => code({ id: `c${k}`, execution_count: c }))));
    expect(notebook.cells.map((c) => c.cell_type === 'code' && c.execution_count)).toEqual([
      12,
      0,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(repairs).toHaveLength(counts.length);
    expect(repairs[0]).toEqual({
      path: 'cells[0].execution_count',
      problem: 'expected null or a non-negative integer, got string "12"',
      repaired: true,
    });
  });
  it("an execute_result without an execution count is read and kept as written, as Jupyter does; one written as a string is repaired like a cell's", () => {
    const text = nb([code({ outputs: [result({}), result({ execution_count: '4' })] })]);
    const { notebook, repairs } = parseNotebook(text);
    const outputs = notebook.cells[0]!.cell_type === 'code' ? notebook.cells[0]!.outputs : [];
    expect(outputs[0]).not.toHaveProperty('execution_count');
    expect(outputs[1]!.execution_count).toBe(4);
    expect(repairs).toEqual([
      { path: 'cells[0].outputs[0]', problem: 'missing "execution_count"', repaired: false },
      {
        path: 'cells[0].outputs[1].execution_count',
        problem: 'expected null or a non-negative integer, got string "4"',
        repaired: true,
      },
    ]);
    expect(serialize(notebook)).not.toMatch(
      /"execution_count": null,\n *"metadata": \{\},\n *"output_type": "execute_result"/,
    );
  });
  it('every reader repairs: parseWithoutOutputs too', () => {
    const text = nb([code({ id: undefined, execution_count: '3', outputs: [result({ execution_count: '3' })] })]);
    const cell = parseWithoutOutputs(Buffer.from(text)).cells[0]!;
    expect(cell.cell_type === 'code' && cell.execution_count).toBe(3);
    expect(cell.id).toBe(parse(text).cells[0]!.id);
  });
  it('what the user did not get wrong is left alone, and other problems are still refused', () => {
    const valid = nb([code({ execution_count: 3, outputs: [result({ execution_count: 3 })] })]);
    expect(parseNotebook(valid).repairs).toEqual([]);
    expect(parse(valid)).toEqual(JSON.parse(valid));
    expect(() => parse(nb([code({ id: 'has space' })]))).toThrow(/cells\[0\]\.id: expected 1-64 letters/);
    expect(() => parse(nb([code({ execution_count: -1 })]))).toThrow(/non-negative integer/);
  });
  it('nbformat 3 is upgraded with derived ids: reading twice gives the same notebook', () => {
    const v3 = JSON.stringify({
      metadata: {},
      nbformat: 3,
      nbformat_minor: 0,
      worksheets: [
        {
          cells: [
            { cell_type: 'code', input: ['a'], language: 'python', metadata: {}, outputs: [] },
            { cell_type: 'markdown', metadata: {}, source: 'b' },
          ],
        },
      ],
    });
    const first = parseNotebook(v3);
    expect(first.repairs).toEqual([]);
    expect(first.version).toEqual({ nbformat: 3, nbformat_minor: 0 });
    expect(parse(v3)).toEqual(first.notebook);
  });
});

describe('serializeVersion writes the version a notebook came in', () => {
  it('4.4 without ids, 4.5 with', () => {
    const text = nb([{ cell_type: 'markdown', id: 'a', metadata: {}, source: 'x' }]);
    const n = parse(text);
    const v44 = JSON.parse(serializeVersion(n, { nbformat: 4, nbformat_minor: 4 })) as JsonObject;
    expect(v44.nbformat_minor).toBe(4);
    expect((v44.cells as JsonObject[])[0]).not.toHaveProperty('id');
    expect(serializeVersion(n, { nbformat: 4, nbformat_minor: 5 })).toBe(serialize(n));
    const { id: _, ...withoutId } = n.cells[0]!;
    expect(
      JSON.parse(serializeVersion({ ...n, cells: [withoutId as never] }, { nbformat: 4, nbformat_minor: 5 })).cells[0]
        .id,
    ).toMatch(/^[0-9a-f]{8}$/);
  });

  it("nbformat 3 byte for byte as Jupyter's nbformat.writes(nb, version=3), on notebooks of every kind", () => {
    // Each case: a notebook Jupyter wrote as nbformat 3, and what Jupyter writes after reading it as 4 and writing it as 3.
    const cells = [
      { cell_type: 'markdown', id: 'a', metadata: {}, source: '# Title' },
      { cell_type: 'markdown', id: 'b', metadata: {}, source: '## Two\nlines é' },
      { cell_type: 'raw', id: 'r', metadata: { format: 'text/x' }, source: 'raw' },
      {
        cell_type: 'code',
        execution_count: 2,
        id: 'c',
        metadata: { collapsed: true, tags: ['t'] },
        outputs: [
          { output_type: 'stream', name: 'stdout', text: 'out\nmore\n' },
          {
            output_type: 'execute_result',
            execution_count: 2,
            metadata: {},
            data: {
              'text/plain': '1\n2',
              'text/html': '<b>é</b>',
              'application/json': { b: [1, 2.5], a: 'ü' },
              'text/markdown': 'dropped',
            },
          },
          { output_type: 'display_data', metadata: { 'image/png': { width: 2 } }, data: { 'image/png': 'iVBOR\n' } },
          { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['t1', 't2'] },
        ],
        source: 'print(1)\n1',
      },
      { cell_type: 'code', execution_count: null, id: 'd', metadata: {}, outputs: [], source: '' },
    ];
    const v4 = JSON.stringify({
      cells,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
      nbformat: 4,
      nbformat_minor: 5,
    });
    const script = [
      'import sys, json, logging, nbformat',
      'logging.disable(logging.CRITICAL)',
      'v3 = nbformat.writes(nbformat.reads(sys.stdin.read(), as_version=4), version=3)',
      'print(json.dumps([v3 + "\\n", nbformat.writes(nbformat.reads(v3, as_version=4), version=3) + "\\n"]))',
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script], { input: v4, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [v3, expected] = JSON.parse(r.stdout) as [string, string];
    const read = parseNotebook(v3);
    expect(read.version).toEqual({ nbformat: 3, nbformat_minor: 0 });
    expect(serializeVersion(read.notebook, read.version)).toBe(expected);
  });
});
