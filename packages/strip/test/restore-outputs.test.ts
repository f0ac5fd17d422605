import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  codeCell,
  emptyNotebook,
  markdownCell,
  normalize,
  parse,
  serialize,
  type Cell,
  type CodeCell,
  type Notebook,
} from '@nbpipe/nbformat';
import { restoreCellOutputs, stripNotebookText } from '../src/index.js';

const printed = (text: string) => [{ output_type: 'stream' as const, name: 'stdout', text }];
const ran = (source: string, count: number, text: string) =>
  codeCell(source, { execution_count: count, outputs: printed(text) });
const notebook = (...cells: Cell[]): Notebook => ({ ...emptyNotebook(), cells });
/** Each cell's outputs (as printed text) and execution count. */
const results = (nb: Notebook | undefined) =>
  nb?.cells.map((c) => (c.cell_type === 'code' ? [c.outputs.map((o) => o.text).join(''), c.execution_count] : null));

describe('restoreCellOutputs', () => {
  it('gives unchanged cells their outputs back and leaves cells the other side changed without', () => {
    const mine = notebook(markdownCell('# Sales'), ran('a = 1', 1, 'A'), ran('b = 2', 2, 'B'), ran('c = 3', 3, 'C'));
    const merged = notebook(markdownCell('# Sales'), codeCell('a = 10'), codeCell('b = 2'), codeCell('c = 3'));
    expect(results(restoreCellOutputs(merged, [mine]))).toEqual([null, ['', null], ['B', 2], ['C', 3]]);
  });

  it('matches identical cells in order, and by cell type', () => {
    const mine = notebook(ran('x', 1, 'first'), markdownCell('y'), ran('x', 2, 'second'));
    const merged = notebook(codeCell('y'), codeCell('x'), codeCell('new'), codeCell('x'), codeCell('x'));
    expect(results(restoreCellOutputs(merged, [mine]))).toEqual([
      ['', null],
      ['first', 1],
      ['', null],
      ['second', 2],
      ['', null],
    ]);
  });

  it('takes each cell from the most recent version holding it, even one without outputs for it', () => {
    const latest = notebook(codeCell('cleared'), ran('b', 5, 'B5'));
    const older = notebook(ran('cleared', 1, 'old'), ran('b', 1, 'B1'), ran('mine', 2, 'M'));
    const merged = notebook(codeCell('cleared'), codeCell('b'), codeCell('mine'));
    expect(results(restoreCellOutputs(merged, [latest, older]))).toEqual([
      ['', null],
      ['B5', 5],
      ['M', 2],
    ]);
  });

  it('reads earlier versions only while some cell is unmatched', () => {
    let read = 0;
    function* versions() {
      read++;
      yield notebook(ran('a', 1, 'A'));
      read++;
      yield notebook(ran('a', 9, 'stale'));
    }
    expect(results(restoreCellOutputs(notebook(codeCell('a'), markdownCell('text')), versions()))).toEqual([
      ['A', 1],
      null,
    ]);
    expect(read).toBe(1);
  });

  it('keeps outputs and counts the blob already has, and says when nothing was restored', () => {
    const kept = codeCell('a', { execution_count: 7, outputs: printed('kept') });
    expect(restoreCellOutputs(notebook(kept), [notebook(ran('a', 1, 'A'))])).toBeUndefined();
    expect(restoreCellOutputs(notebook(codeCell('a')), [notebook(codeCell('a'))])).toBeUndefined();
    expect(restoreCellOutputs(notebook(codeCell('a')), [])).toBeUndefined();
  });

  it('restores a stripped notebook from its own original exactly (property)', () => {
    const source = fc.constantFrom('x = 1', 'print(x)', '', 'x = 1\ny = 2\n', '# note');
    const cellArb = fc.oneof(
      fc
        .record({ source, count: fc.option(fc.integer({ min: 1, max: 99 }), { nil: null }), text: fc.string() })
        .map(({ source: s, count, text }): Cell =>
          codeCell(s, { execution_count: count, outputs: count === null ? [] : printed(text) }),
        ),
      source.map((s): Cell => markdownCell(s)),
    );
    fc.assert(
      fc.property(fc.array(cellArb, { maxLength: 8 }), (cells) => {
        const original = parse(serialize(normalize(notebook(...cells))));
        const stripped = parse(stripNotebookText(serialize(original)).text);
        const restored = restoreCellOutputs(stripped, [original]) ?? stripped;
        const codeResults = (nb: Notebook) =>
          nb.cells.filter((c): c is CodeCell => c.cell_type === 'code').map((c) => [c.outputs, c.execution_count]);
        expect(codeResults(restored)).toEqual(codeResults(original));
        expect(stripNotebookText(serialize(restored)).text).toBe(serialize(stripped));
      }),
    );
  });
});
