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
  it('a stdout stream of ten a\'s plus a newline has size 6 + 6 + 11 = 23', () => {
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
      cells: [codeCell('1', { metadata: cellMetadata as never, outputs: [{ output_type: 'stream', name: 'stdout', text: 'x' }] })],
    });
  const kept = (text: string, keepOutput?: boolean) =>
    (JSON.parse(stripNotebookText(text, { keepOutput }).text) as Notebook).cells[0]!.outputs.length > 0;

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
      codeCell(src, { execution_count: count, outputs: out ? [{ output_type: 'stream', name: 'stdout', text: out }] : [], metadata: { collapsed: true } }),
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
        const sources = (JSON.parse(once.text) as { cells: { source: string[] }[] }).cells.map((c) => c.source.join(''));
        expect(sources).toEqual(nb.cells.map((c) => c.source));
      }),
    );
  });
});
