import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeCell, emptyNotebook, markdownCell, serialize, type Notebook } from '@nbpipe/nbformat';
import { parseSize, popKeyPath, stripNotebookText } from '../src/index.js';

describe('popKeyPath (nbstripout pop_recursive)', () => {
  const fresh = () => ({ a: { b: 1, c: 2, 'd.e': 3, f: { g: 4 } } });
  it.each([
    ['a.c', { a: { b: 1, 'd.e': 3, f: { g: 4 } } }],
    ['a.d.e', { a: { b: 1, c: 2, f: { g: 4 } } }],
    ['a.f', { a: { b: 1, c: 2, 'd.e': 3 } }],
    ['a.f.g', { a: { b: 1, c: 2, 'd.e': 3, f: {} } }],
    ['a', {}],
    ['notfound', fresh()],
    ['a.notfound', fresh()],
    ['a.b.notfound', fresh()],
  ])('%s', (path, expected) => {
    const d = fresh();
    popKeyPath(d, path);
    expect(d).toEqual(expected);
  });
});

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['50', 50],
    ['1k', 1000],
    ['2K', 2000],
    ['3M', 3_000_000],
    ['1g', 1_000_000_000],
  ])('%s = %d', (spec, n) => expect(parseSize(spec)).toBe(n));
  it.each(['1x', '-1', '1.5k', ''])('rejects %j', (spec) => expect(() => parseSize(spec)).toThrow(/invalid size/));
});

const notebookWithOutput = (text: string): Notebook => ({
  ...emptyNotebook(),
  cells: [codeCell('print()', { outputs: [{ output_type: 'stream', name: 'stdout', text }], execution_count: 1 })],
});
const outputsAfter = (nb: Notebook, maxSize: number) =>
  (JSON.parse(stripNotebookText(serialize(nb), { maxSize }).text) as Notebook).cells[0]!.outputs;

describe('--max-size measures like nbstripout get_size', () => {
  it("a stdout stream of ten a's plus a newline has size 6 + 6 + 11 = 23", () => {
    const nb = notebookWithOutput('aaaaaaaaaa\n');
    expect(outputsAfter(nb, 23)).toHaveLength(1);
    expect(outputsAfter(nb, 22)).toHaveLength(0);
  });
  it('counts code points, not UTF-16 units', () => {
    const nb = notebookWithOutput('😀😀'); // 2 code points, 4 UTF-16 units
    expect(outputsAfter(nb, 6 + 6 + 2)).toHaveLength(1);
  });
});

describe('notebook-level keep_output and per-cell opt-outs', () => {
  const nb = (metadata: Notebook['metadata'], cellMetadata: Record<string, unknown>) =>
    serialize({
      ...emptyNotebook(metadata),
      cells: [
        codeCell('1', {
          metadata: cellMetadata as never,
          outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }],
        }),
      ],
    });
  const kept = (text: string, keepOutput?: boolean) =>
    (JSON.parse(stripNotebookText(text, { keepOutput }).text) as Notebook).cells.some(
      (cell) => cell.cell_type === 'code' && cell.outputs.length > 0,
    );

  it('metadata.keep_output keeps outputs unless the option says false', () => {
    expect(kept(nb({ keep_output: true }, {}))).toBe(true);
    expect(kept(nb({ keep_output: true }, {}), false)).toBe(false);
  });
  it('init_cell: false strips even with --keep-output', () => {
    expect(kept(nb({}, { init_cell: false }), true)).toBe(false);
  });
  it('the keep_output tag keeps one cell', () => {
    expect(kept(nb({}, { tags: ['keep_output'] }))).toBe(true);
  });
});

describe('properties', () => {
  const cellArb = fc.oneof(
    fc.record({ src: fc.string(), count: fc.option(fc.nat(50)), out: fc.string() }).map(({ src, count, out }) =>
      codeCell(src, {
        execution_count: count,
        outputs: out ? [{ output_type: 'stream', name: 'stdout', text: out }] : [],
        metadata: { collapsed: true },
      }),
    ),
    fc.string().map((s) => markdownCell(s, { metadata: { scrolled: false } })),
  );
  const nbArb = fc.array(cellArb, { maxLength: 6 }).map((cells) => ({ ...emptyNotebook(), cells }) as Notebook);

  it('stripping is idempotent and keeps every source', () => {
    fc.assert(
      fc.property(nbArb, (nb) => {
        const once = stripNotebookText(serialize(nb));
        const twice = stripNotebookText(once.text);
        expect(twice.text).toBe(once.text);
        expect(twice.changed).toBe(false);
        const sources = (JSON.parse(once.text) as { cells: { source: string[] }[] }).cells.map((c) =>
          c.source.join(''),
        );
        expect(sources).toEqual(nb.cells.map((c) => c.source));
      }),
    );
  });
});

describe('stripping bytes (outputs located by layout, never parsed when dropped) equals stripping text', () => {
  const same = (text: string, options = {}) => {
    const fromText = stripNotebookText(text, options);
    const fromBytes = stripNotebookText(Buffer.from(text), options);
    expect(fromBytes.text).toBe(fromText.text);
    expect(fromBytes.changed).toBe(fromText.changed);
    expect(fromBytes.hadOutputs).toBe(fromText.hadOutputs);
    return fromBytes;
  };
  const withOutputs = (nb: Notebook) => ({
    ...nb,
    cells: [
      ...nb.cells,
      codeCell('x', {
        outputs: [
          {
            output_type: 'display_data',
            data: { 'text/html': '<table>\n<tr>\n</table>\n', 'image/png': 'iVBOR' },
            metadata: {},
          },
        ],
      }),
    ],
  });

  it('for any notebook, laid out by Jupyter, with two-space indentation, or on one line', () => {
    const cellArb = fc
      .record({ src: fc.string(), out: fc.string(), keep: fc.boolean(), count: fc.option(fc.nat(9)) })
      .map(({ src, out, keep, count }) =>
        codeCell(src, {
          execution_count: count,
          metadata: keep ? { tags: ['keep_output'] } : {},
          outputs: out
            ? [
                { output_type: 'stream', name: 'stdout', text: out },
                { output_type: 'execute_result', execution_count: count, data: { 'text/plain': out }, metadata: {} },
              ]
            : [],
        }),
      );
    fc.assert(
      fc.property(
        fc.array(cellArb, { maxLength: 5 }),
        fc.constantFrom(0, 1, 2),
        fc.boolean(),
        (cells, indent, keepCount) => {
          const nb = withOutputs({ ...emptyNotebook(), cells });
          const text = indent === 1 ? serialize(nb) : JSON.stringify(nb, null, indent);
          same(text, { keepCount });
        },
      ),
    );
  });

  it('a metadata object with its own "outputs" at cell-member depth is left alone', () => {
    const nb = withOutputs({
      ...emptyNotebook({ kernelspec: { name: 'p', display_name: 'P', outputs: [1, 2] } as never }),
      cells: [],
    });
    const result = same(serialize(nb));
    expect(JSON.parse(result.text).metadata.kernelspec.outputs).toEqual([1, 2]);
  });

  it('a notebook whose text contains the marker is read the plain way', () => {
    same(serialize(withOutputs({ ...emptyNotebook(), cells: [markdownCell('"\\u0000outputs-0"')] })));
  });

  it('outputs whose closing bracket is misindented are read the plain way', () => {
    const text = serialize(withOutputs(emptyNotebook())).replace('    }\n   ]', '    }\n]');
    same(text);
  });
});
