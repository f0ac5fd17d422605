import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  codeCell,
  emptyNotebook,
  markdownCell,
  rawCell,
  type Cell,
  type CodeCell,
  type Notebook,
} from '@nbpipe/nbformat';
import { combineInputsAndOutputs, matchCells } from '../src/pairing/combine.js';

/** A code cell as Jupyter stores it after a run: an id, a count and a stream output naming its source. */
function ran(source: string, id: string, count: number): CodeCell {
  return codeCell(source, {
    id,
    execution_count: count,
    outputs: [{ output_type: 'stream', name: 'stdout', text: `out of ${source}\n` }],
  });
}

function notebook(cells: Cell[], metadata: Notebook['metadata'] = {}): Notebook {
  return { ...emptyNotebook(metadata), cells };
}

/** Cells as read from a text file: sources only, fresh ids. */
function fromText(...cells: Cell[]): Notebook {
  return notebook(cells.map((c, i) => ({ ...c, id: `text${i}` })));
}

const outputsOf = (nb: Notebook) => nb.cells.map((c) => (c.cell_type === 'code' ? c.outputs.map((o) => o.text) : null));

describe('combineInputsAndOutputs (jupytext test_combine cases, our rules)', () => {
  it('gives duplicated cells one output only, and keeps it in order', () => {
    const ipynb = notebook([
      markdownCell('md', { id: 'm' }),
      ran('a = 3', 'c1', 1),
      ran('a + 1', 'c2', 2),
      ran('a + 2', 'c3', 3),
      markdownCell('end', { id: 'e' }),
    ]);
    const text = fromText(
      markdownCell('md'),
      codeCell('a = 3'),
      codeCell('a + 1'),
      codeCell('a + 1'),
      markdownCell('end'),
      codeCell('a + 2'),
    );
    const { notebook: nb, matches } = combineInputsAndOutputs(text, ipynb);
    expect(nb.cells.map((c) => c.source)).toEqual(['md', 'a = 3', 'a + 1', 'a + 1', 'end', 'a + 2']);
    expect(outputsOf(nb)).toEqual([null, ['out of a = 3\n'], ['out of a + 1\n'], [], null, ['out of a + 2\n']]);
    expect(matches.map((m) => m.kind)).toEqual(['same', 'same', 'same', 'new', 'same', 'same']);
    expect(nb.cells.map((c) => c.id)).toEqual(['m', 'c1', 'c2', 'text3', 'e', 'c3']);
  });

  it('follows moved cells', () => {
    const ipynb = notebook([ran('2+2', 'b', 1), ran('4+4', 'd', 2), ran('1+1', 'a', 3), ran('3+3', 'c', 4)]);
    const text = fromText(codeCell('1+1'), codeCell('2+2'), codeCell('3+3'), codeCell('4+4'));
    const { notebook: nb } = combineInputsAndOutputs(text, ipynb);
    expect(nb.cells.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(nb.cells.map((c) => (c as CodeCell).execution_count)).toEqual([3, 1, 4, 2]);
    expect(outputsOf(nb)).toEqual([['out of 1+1\n'], ['out of 2+2\n'], ['out of 3+3\n'], ['out of 4+4\n']]);
  });

  it('keeps the id but not the outputs of an edited cell', () => {
    const ipynb = notebook([ran('a = 1', 'x', 1), ran('a + 1', 'y', 2), ran('a + 2', 'z', 3)]);
    const text = fromText(codeCell('a = 1'), codeCell('a + 10'), codeCell('a + 2'));
    const { notebook: nb, matches } = combineInputsAndOutputs(text, ipynb);
    expect(matches.map((m) => m.kind)).toEqual(['same', 'edited', 'same']);
    expect(nb.cells.map((c) => c.id)).toEqual(['x', 'y', 'z']);
    expect(outputsOf(nb)).toEqual([['out of a = 1\n'], [], ['out of a + 2\n']]);
    expect((nb.cells[1] as CodeCell).execution_count).toBeNull();
  });

  it('treats trailing spaces and surrounding blank lines as no change', () => {
    const ipynb = notebook([ran('x = 1\n', 'x', 1)]);
    const { notebook: nb, matches } = combineInputsAndOutputs(fromText(codeCell('\nx = 1   ')), ipynb);
    expect(matches[0]!.kind).toBe('same');
    expect(nb.cells[0]!.source).toBe('\nx = 1   ');
    expect(outputsOf(nb)).toEqual([['out of x = 1\n\n']]);
  });

  it('does not treat a change of indentation or quotes as no change', () => {
    const ipynb = notebook([ran('if a:\n    b\nc', 'i', 1), ran("print('x')", 'p', 2)]);
    const text = fromText(codeCell('if a:\n    b\n    c'), codeCell('print("x")'));
    const { notebook: nb } = combineInputsAndOutputs(text, ipynb);
    expect(outputsOf(nb)).toEqual([[], []]);
  });

  it('never matches cells of different types', () => {
    const ipynb = notebook([ran('x', 'c', 1)]);
    const { matches } = combineInputsAndOutputs(fromText(markdownCell('x')), ipynb);
    expect(matches).toEqual([{ kind: 'new' }]);
  });

  it('carries over the metadata the text does not show, and lets the text drop what it shows', () => {
    const ipynb = notebook(
      [ran('x', 'c', 1)].map((c) => ({ ...c, metadata: { ExecuteTime: { end: 't' }, tags: ['a'], collapsed: true } })),
      {
        kernelspec: { name: 'python3', display_name: 'Python 3' },
        language_info: { name: 'python' },
        jupytext: { formats: 'ipynb,py:percent' },
      },
    );
    // What the text format shows of that notebook: tags and the kernelspec, not the rest.
    const visible = notebook([{ ...codeCell('x'), metadata: { tags: ['a'] } }], {
      kernelspec: { name: 'python3', display_name: 'Python 3' },
      jupytext: { formats: 'ipynb,py:percent' },
    });
    const text = notebook([codeCell('x', { metadata: {} })], {
      kernelspec: { name: 'python3', display_name: 'Python 3' },
      jupytext: { formats: 'ipynb,py:percent', text_representation: { extension: '.py' } },
    });
    const { notebook: nb } = combineInputsAndOutputs(text, ipynb, { visible });
    expect(nb.cells[0]!.metadata).toEqual({ ExecuteTime: { end: 't' }, collapsed: true });
    expect(nb.metadata).toEqual({
      kernelspec: { name: 'python3', display_name: 'Python 3' },
      language_info: { name: 'python' },
      jupytext: { formats: 'ipynb,py:percent' },
    });
  });

  it('keeps the notebook metadata of the .ipynb when the text has no header (filter -all)', () => {
    const ipynb = notebook([ran('x', 'c', 1)], {
      kernelspec: { name: 'python3', display_name: 'Python 3' },
      widgets: { state: {} },
    });
    const text = notebook([codeCell('x')], {
      jupytext: { notebook_metadata_filter: '-all', cell_metadata_filter: '-all' },
    });
    expect(combineInputsAndOutputs(text, ipynb, { visible: notebook([codeCell('x')]) }).notebook.metadata).toEqual(
      ipynb.metadata,
    );
  });

  it('keeps attachments of an edited markdown cell, and the nbformat minor version of the .ipynb', () => {
    const attachments = { 'a.png': { 'image/png': 'AAAA' } };
    const ipynb = { ...notebook([markdownCell('![x](attachment:a.png)', { attachments })]), nbformat_minor: 4 };
    const { notebook: nb } = combineInputsAndOutputs(fromText(markdownCell('![y](attachment:a.png)')), ipynb);
    expect(nb.nbformat_minor).toBe(4);
    expect(nb.cells[0]).toEqual({ cell_type: 'markdown', metadata: {}, source: '![y](attachment:a.png)', attachments });
  });
});

// ---- properties ---------------------------------------------------------------------------------

type Edit =
  | { op: 'insert'; at: number; type: Cell['cell_type'] }
  | { op: 'delete'; at: number }
  | { op: 'edit'; at: number }
  | { op: 'move'; from: number; to: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    type: fc.constantFrom('code' as const, 'markdown' as const, 'raw' as const),
  }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('edit' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('move' as const), from: fc.nat(), to: fc.nat() }),
);

const makeCell = (type: Cell['cell_type'], source: string): Cell =>
  type === 'code' ? codeCell(source) : type === 'markdown' ? markdownCell(source) : rawCell(source);

/** A run notebook, the text cells after the edits, and which text cells still carry an original source. */
function scenario(types: Cell['cell_type'][], bodies: string[], edits: Edit[], unique: boolean) {
  const ipynbCells: Cell[] = types.map((type, i) => {
    const source = unique ? `${bodies[i]} #${i}` : bodies[i]!;
    return type === 'code' ? ran(source, `id${i}`, i + 1) : { ...makeCell(type, source), id: `id${i}` };
  });
  // Each text cell remembers the ipynb cell it came from while its source is untouched.
  let text: { cell: Cell; origin?: number }[] = ipynbCells.map((c, i) => ({
    cell: makeCell(c.cell_type, c.source),
    origin: i,
  }));
  let fresh = 0;
  for (const e of edits) {
    const n = text.length;
    if (e.op === 'insert') text.splice(e.at % (n + 1), 0, { cell: makeCell(e.type, `new ${fresh++}`) });
    else if (n === 0) continue;
    else if (e.op === 'delete') text.splice(e.at % n, 1);
    else if (e.op === 'edit') {
      const t = text[e.at % n]!;
      text[e.at % n] = { cell: makeCell(t.cell.cell_type, `${t.cell.source} edited ${fresh++}`) };
    } else {
      const [moved] = text.splice(e.from % n, 1);
      text.splice(e.to % n, 0, moved!);
    }
  }
  text = text.map((t, i) => ({ ...t, cell: { ...t.cell, id: `t${i}` } }));
  return { ipynb: notebook(ipynbCells), text: notebook(text.map((t) => t.cell)), origins: text.map((t) => t.origin) };
}

const scenarioArb = (unique: boolean) =>
  fc
    .array(fc.constantFrom('code' as const, 'markdown' as const, 'raw' as const), { maxLength: 12 })
    .chain((types) =>
      fc.tuple(
        fc.constant(types),
        fc.array(fc.constantFrom('x = 1', 'print(x)', '# title', 'x', ''), {
          minLength: types.length,
          maxLength: types.length,
        }),
        fc.array(editArb, { maxLength: 8 }),
      ),
    )
    .map(([types, bodies, edits]) => scenario(types, bodies, edits, unique));

describe('combineInputsAndOutputs properties', () => {
  it('keeps every text cell, in order, with its exact type and source; ids stay unique', () => {
    fc.assert(
      fc.property(scenarioArb(false), ({ ipynb, text }) => {
        const { notebook: nb } = combineInputsAndOutputs(text, ipynb);
        expect(nb.cells.map((c) => [c.cell_type, c.source])).toEqual(text.cells.map((c) => [c.cell_type, c.source]));
        const ids = nb.cells.map((c) => c.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('never gives a cell outputs computed from another source', () => {
    fc.assert(
      fc.property(scenarioArb(false), ({ ipynb, text }) => {
        const { notebook: nb } = combineInputsAndOutputs(text, ipynb);
        for (const cell of nb.cells)
          if (cell.cell_type === 'code' && cell.outputs.length > 0)
            expect(cell.outputs[0]!.text).toBe(`out of ${cell.source}\n`);
      }),
    );
  });

  it('keeps the outputs, count and id of every unchanged cell however the others were inserted, deleted, edited or moved', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ ipynb, text, origins }) => {
        const { notebook: nb } = combineInputsAndOutputs(text, ipynb);
        nb.cells.forEach((cell, i) => {
          const origin = origins[i];
          if (origin === undefined) {
            if (cell.cell_type === 'code') expect(cell.outputs).toEqual([]);
            return;
          }
          expect(cell).toEqual(ipynb.cells[origin]);
        });
      }),
    );
  });

  it('is the identity when the text has the same cells', () => {
    fc.assert(
      fc.property(scenarioArb(false), ({ ipynb }) => {
        const text = notebook(ipynb.cells.map((c, i) => ({ ...makeCell(c.cell_type, c.source), id: `t${i}` })));
        expect(combineInputsAndOutputs(text, ipynb).notebook).toEqual(ipynb);
      }),
    );
  });
});

describe('matchCells', () => {
  it('matches a cell edited between two unchanged ones by position', () => {
    const outputs = [codeCell('a'), codeCell('b'), codeCell('c')];
    expect(matchCells([codeCell('a'), codeCell('B!'), codeCell('c')], outputs)).toEqual([
      { kind: 'same', outputIndex: 0 },
      { kind: 'edited', outputIndex: 1 },
      { kind: 'same', outputIndex: 2 },
    ]);
  });
  it('finds an edited cell before the cell its successor matched when its predecessor moved away', () => {
    const outputs = [codeCell('a'), codeCell('moved'), codeCell('c'), codeCell('end')];
    expect(matchCells([codeCell('a'), codeCell('C!'), codeCell('end'), codeCell('moved')], outputs)[1]).toEqual({
      kind: 'edited',
      outputIndex: 2,
    });
  });
  it('does not take a blank new cell for an edit', () => {
    expect(
      matchCells([codeCell('a'), codeCell('  '), codeCell('c')], [codeCell('a'), codeCell('b'), codeCell('c')])[1],
    ).toEqual({ kind: 'new' });
  });
});
