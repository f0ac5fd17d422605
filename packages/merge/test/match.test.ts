import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, type Cell } from '@nbpipe/nbformat';
import { matchCells, type CellMatch } from '@nbpipe/merge';

const code = (source: string, id?: string): Cell => codeCell(source, id ? { id } : {});
const md = (source: string, id?: string): Cell => markdownCell(source, id ? { id } : {});

/** Matches as compact strings: `0-0`, `1-`, `-2`, `3>1` (moved). */
const compact = (matches: CellMatch[]) => matches.map((m) => `${m.a ?? ''}${m.moved ? '>' : '-'}${m.b ?? ''}`);

describe('matchCells', () => {
  const a = [code('import numpy as np'), code('x = np.arange(10)\nprint(x.sum())'), md('# Results'), code('plot(x)')];

  it('pairs unchanged cells in order', () => {
    expect(compact(matchCells(a, a))).toEqual(['0-0', '1-1', '2-2', '3-3']);
  });

  it('recognises an edited cell by the similarity of its source', () => {
    const b = [a[0]!, code('x = np.arange(20)\nprint(x.sum())'), a[2]!, a[3]!];
    expect(compact(matchCells(a, b))).toEqual(['0-0', '1-1', '2-2', '3-3']);
  });

  it('recognises insertions and deletions, removed cells before what replaced them', () => {
    const b = [a[0]!, md('A new explanation of what follows in detail'), a[1]!, a[3]!];
    expect(compact(matchCells(a, b))).toEqual(['0-0', '-1', '1-2', '2-', '3-3']);
  });

  it('recognises a moved cell, also when it was edited', () => {
    const moved = [a[0]!, a[2]!, a[3]!, a[1]!];
    expect(compact(matchCells(a, moved))).toEqual(['0-0', '2-1', '3-2', '1>3']);
    const movedAndEdited = [a[3]!, a[0]!, a[1]!, md('# Results!')];
    expect(compact(matchCells(a, movedAndEdited))).toEqual(['3>0', '0-1', '1-2', '2-3']);
  });

  it('pairs cells by id when their sources agree, or when rewritten in place between the same matches', () => {
    const x = [code('alpha = 1', 'c1'), code('beta = 2', 'c2')];
    // Alike: a move found by id. Rewritten and moved: the id alone does not make it the same cell.
    expect(compact(matchCells(x, [code('beta = 2 + 1', 'c2'), code('alpha = 1', 'c1')]))).toEqual(['1>0', '0-1']);
    expect(
      compact(matchCells(x, [code('something else entirely, rewritten from scratch', 'c2'), code('alpha = 1', 'c1')])),
    ).toEqual(['-0', '0-1', '1-']);
    const before = [
      code('import os', 'k0'),
      code('first = load("a")', 'k1'),
      code('second = load("b")', 'k2'),
      code('plot(x)', 'k3'),
    ];
    const after = [
      before[0]!,
      code('totally different code here', 'k1'),
      code('and something else again', 'k2'),
      before[3]!,
    ];
    expect(compact(matchCells(before, after))).toEqual(['0-0', '1-1', '2-2', '3-3']);
    expect(compact(matchCells(before, after, { ids: false }))).toEqual(['0-0', '1-', '2-', '-1', '-2', '3-3']);
  });

  it('pairs an edited cell with its original rather than with a new look-alike', () => {
    const original = code('total = load("sales.csv")\ntotal.head()');
    const edited = code('total = load("sales.csv")\ntotal.head()\ntotal.plot()');
    const lookAlike = code('total = load("costs.csv")\ntotal.tail()');
    expect(compact(matchCells([original], [edited, lookAlike]))).toEqual(['0-0', '-1']);
  });

  it('takes a cell found unchanged elsewhere for a move, not for an edit of a look-alike in its old place', () => {
    const [p, q, r] = [
      code('import pandas as pd'),
      md('## Loading the data'),
      code('frame = pd.read_csv("a.csv")\nframe.head()'),
    ];
    const lookAlike = code('frame = pd.read_csv("b.csv")\nframe.tail()');
    expect(compact(matchCells([p, q, r], [p, r, q, lookAlike]))).toEqual(['0-0', '2>1', '1-2', '-3']);
  });

  it('does not pair a cell with a look-alike when its id names another cell there: a short cell edited under its id stays with it', () => {
    // Texts of at most ten characters always look alike (nbdime's rule); the ids tell the edit from a new cell.
    const before = [code('x = 41\nx + 1', 'aaa1'), code('print(x)', 'bbb2')];
    const after = [code('x = 41\nx + 1', 'aaa1'), code('print(x * 2)', 'bbb2'), code('theirs()', 'ddd4')];
    expect(compact(matchCells(before, after))).toEqual(['0-0', '1-1', '-2']);
  });

  it('takes a short cell found whole in another for that cell edited, rather than a tiny look-alike', () => {
    // Without ids: nbdime's ratio rule rejects `print(x)` → `print(x * 2)` and accepts `print(x)` → `theirs()`.
    const before = [code('x = 41\nx + 1'), code('print(x)')];
    const after = [code('x = 41\nx + 1'), code('print(x * 2)'), code('theirs()')];
    expect(compact(matchCells(before, after))).toEqual(['0-0', '1-1', '-2']);
  });

  it('ignores ids that cannot identify a cell: positional, duplicated, missing, or none shared', () => {
    const sources = ['import numpy as np', 'data = np.load("x.npy")', 'mean = data.mean()', 'print(mean)'];
    const renumbered = (list: string[]) => list.map((s, k) => code(s, String(k)));
    // An insertion at the top renumbers every later cell: "0" is now the new cell.
    expect(compact(matchCells(renumbered(sources), renumbered(['# A new first cell', ...sources])))).toEqual([
      '-0',
      '0-1',
      '1-2',
      '2-3',
      '3-4',
    ]);
    const dup = (list: string[]) => list.map((s) => code(s, 'same'));
    expect(compact(matchCells(dup(sources), dup(['# A new first cell', ...sources])))).toEqual([
      '-0',
      '0-1',
      '1-2',
      '2-3',
      '3-4',
    ]);
    const regenerated = (list: string[], prefix: string) => list.map((s, k) => code(s, `${prefix}${k}abcdef`));
    expect(compact(matchCells(regenerated(sources, 'a'), regenerated(sources.slice(1), 'b')))).toEqual([
      '0-',
      '1-0',
      '2-1',
      '3-2',
    ]);
  });

  it('treats a lone replaced cell of the same type as edited, unless the ids say otherwise', () => {
    const x = [code('import os'), code('end = 0.5'), code('plot(x)')];
    const y = [code('import os'), code('end = 10*pi'), code('plot(x)')];
    expect(compact(matchCells(x, y))).toEqual(['0-0', '1-1', '2-2']);
    const xi = x.map((c, k) => ({ ...c, id: `i${k}` }));
    const yi = y.map((c, k) => ({ ...c, id: k === 1 ? 'new' : `i${k}` }));
    expect(compact(matchCells(xi, yi))).toEqual(['0-0', '1-', '-1', '2-2']);
  });

  it('never pairs cells of different types by content', () => {
    expect(compact(matchCells([code('x = 1')], [md('x = 1')]))).toEqual(['0-', '-0']);
  });

  it('pairs a lone copy with the last of identical cells when the rest is equal (nbdime tie-break)', () => {
    expect(compact(matchCells([code('x'), code('x')], [code('x')]))).toEqual(['0-', '1-0']);
  });

  it('does not take blank cells for moves', () => {
    const x = [code(''), code('a = 1'), code('b = 2')];
    const y = [code('a = 1'), code('b = 2'), code('')];
    expect(compact(matchCells(x, y))).toEqual(['0-', '1-0', '2-1', '-2']);
  });
});
