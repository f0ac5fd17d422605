import { describe, expect, it } from 'vitest';
import {
  codeCell,
  emptyNotebook,
  findProblem,
  markdownCell,
  type Cell,
  type JsonObject,
  type Notebook,
  type Output,
} from '@nbpipe/nbformat';
import { findConflicts, mergeNotebooks, type MergeOptions } from '@nbpipe/merge';

const nb = (cells: Cell[], extra: Partial<Notebook> = {}): Notebook => ({
  ...emptyNotebook(),
  nbformat_minor: 4,
  cells,
  ...extra,
});
const stream = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });
const sources = (n: Notebook) => n.cells.map((c) => c.source);

function merge(base: Notebook, local: Notebook, remote: Notebook, options?: MergeOptions) {
  const result = mergeNotebooks(base, local, remote, options);
  expect(findProblem(result.notebook as unknown as JsonObject)).toBeUndefined();
  return result;
}

const base = nb([
  markdownCell('# Report'),
  codeCell('import pandas as pd\ndf = pd.read_csv("data.csv")'),
  codeCell('df.describe()', { execution_count: 2, outputs: [stream('count 10\n')] }),
  codeCell('df.plot()'),
]);
const edit = (n: Notebook, index: number, cell: Partial<Cell>) =>
  nb(
    n.cells.map((c, k) => (k === index ? ({ ...c, ...cell } as Cell) : c)),
    { metadata: n.metadata, nbformat_minor: n.nbformat_minor },
  );

describe('mergeNotebooks: cells', () => {
  it('applies changes of both sides to different cells', () => {
    const local = edit(base, 0, { source: '# Quarterly report' });
    const remote = edit(base, 3, { source: 'df.plot(kind="bar")' });
    const { notebook, conflicts } = merge(base, local, remote);
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual([
      '# Quarterly report',
      base.cells[1]!.source,
      'df.describe()',
      'df.plot(kind="bar")',
    ]);
  });

  it('applies the same change on both sides once', () => {
    const both = edit(base, 1, { source: 'import pandas as pd\ndf = pd.read_csv("data.csv", sep=";")' });
    const { notebook, conflicts } = merge(base, both, both);
    expect(conflicts).toEqual([]);
    expect(notebook).toEqual(both);
  });

  it('keeps cells both sides inserted at the same place, local first; an identical insertion once', () => {
    const shared = codeCell('df.head()');
    const local = nb([base.cells[0]!, markdownCell('Local notes on the data set'), shared, ...base.cells.slice(1)]);
    const remote = nb([base.cells[0]!, shared, codeCell('print(len(df))'), ...base.cells.slice(1)]);
    const { notebook, conflicts } = merge(base, local, remote);
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual([
      '# Report',
      'Local notes on the data set',
      'df.head()',
      'print(len(df))',
      ...sources(base).slice(1),
    ]);
  });

  it('merges line edits of one cell made on both sides when they do not overlap', () => {
    const b = nb([codeCell('a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6')]);
    const { notebook, conflicts } = merge(
      b,
      nb([codeCell('a = 10\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6')]),
      nb([codeCell('a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 60')]),
    );
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual(['a = 10\nb = 2\nc = 3\nd = 4\ne = 5\nf = 60']);
  });

  it('writes markers inside the source for overlapping edits, with the marker size and labels given', () => {
    const local = edit(base, 3, { source: 'df.plot(kind="line")' });
    const remote = edit(base, 3, { source: 'df.plot(kind="bar")' });
    const { notebook, conflicts } = merge(base, local, remote, {
      markerSize: 9,
      localLabel: 'HEAD',
      remoteLabel: 'topic',
    });
    expect(notebook.cells[3]!.source).toBe(
      '<<<<<<<<< HEAD\ndf.plot(kind="line")\n=========\ndf.plot(kind="bar")\n>>>>>>>>> topic',
    );
    expect(conflicts).toEqual([
      { cellIndex: 3, kind: 'source', message: expect.stringContaining('changed the same lines') },
    ]);
    expect(findConflicts(notebook, { markerSize: 9 })).toEqual([
      { cellIndex: 3, kind: 'source', message: 'conflict markers in the source (line 1)' },
    ]);
  });

  it('keeps a cell deleted on one side and changed on the other, marked', () => {
    const local = nb(base.cells.filter((_, k) => k !== 1));
    const remote = edit(base, 1, { source: 'import pandas as pd\ndf = pd.read_csv("other.csv")' });
    const { notebook, conflicts } = merge(base, local, remote);
    expect(notebook.cells[1]!.source).toBe(
      '<<<<<<< LOCAL CELL DELETED >>>>>>>\nimport pandas as pd\ndf = pd.read_csv("other.csv")',
    );
    expect(conflicts).toEqual([
      { cellIndex: 1, kind: 'deleted', message: expect.stringContaining('deleted in local but changed in remote') },
    ]);
    expect(findConflicts(notebook)).toEqual([
      { cellIndex: 1, kind: 'deleted', message: expect.stringContaining('deleted in local') },
    ]);
  });

  it('marks a deletion against an output-only change too (nbdime keeps such conflicts silent)', () => {
    const local = edit(base, 2, { outputs: [stream('count 12\n')] } as Partial<Cell>);
    const remote = nb(base.cells.filter((_, k) => k !== 2));
    const { notebook, conflicts } = merge(base, local, remote);
    expect(conflicts.map((c) => c.kind)).toEqual(['deleted']);
    expect(notebook.cells[2]!.source).toBe('<<<<<<< REMOTE CELL DELETED >>>>>>>\ndf.describe()');
  });

  it('lets a deletion win over a change of execution count or view state only', () => {
    const local = edit(base, 2, { execution_count: 7, metadata: { collapsed: true } } as Partial<Cell>);
    const remote = nb(base.cells.filter((_, k) => k !== 2));
    const { notebook, conflicts } = merge(base, local, remote);
    expect(conflicts).toEqual([]);
    expect(notebook).toEqual(remote);
  });

  it('moves a cell moved on one side and applies the other side’s edit to it', () => {
    const local = nb([base.cells[0]!, base.cells[3]!, base.cells[1]!, base.cells[2]!]);
    const remote = edit(base, 3, { source: 'df.plot(kind="bar")' });
    const { notebook, conflicts } = merge(base, local, remote);
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual(['# Report', 'df.plot(kind="bar")', base.cells[1]!.source, 'df.describe()']);
  });

  it('keeps local’s place for a cell moved to different places, and records it', () => {
    const local = nb([base.cells[3]!, ...base.cells.slice(0, 3)]);
    const remote = nb([base.cells[0]!, base.cells[3]!, base.cells[1]!, base.cells[2]!]);
    const { notebook, conflicts } = merge(base, local, remote);
    expect(sources(notebook)).toEqual(sources(local));
    expect(conflicts).toEqual([
      { cellIndex: 0, kind: 'moved', message: "moved to different places in local and remote: kept local's place" },
    ]);
    expect(findConflicts(notebook)).toEqual(conflicts);
  });

  it('still pairs cells one by one when one side edited every cell of a large notebook without ids', () => {
    const cells = Array.from({ length: 300 }, (_, k) =>
      codeCell(`value_${k} = compute(${k})\n# see above\nprint(value_${k})`),
    );
    const b = nb(cells);
    const reformatted = nb(cells.map((c) => ({ ...c, source: c.source.replace('compute(', 'compute( ') })));
    const oneEdit = edit(b, 150, { source: 'value_150 = compute(150)\n# see above\nprint(value_150, "checked")' });
    const { notebook, conflicts } = merge(b, reformatted, oneEdit);
    expect(conflicts).toEqual([]);
    expect(notebook.cells).toHaveLength(300);
    expect(notebook.cells[150]!.source).toBe('value_150 = compute( 150)\n# see above\nprint(value_150, "checked")');
  });

  it('records a cell type changed differently on both sides', () => {
    const b = nb([codeCell('some text', { id: 'c1' })], { nbformat_minor: 5 });
    const local = nb([markdownCell('some text', { id: 'c1' })], { nbformat_minor: 5 });
    const remote = nb([{ cell_type: 'raw', id: 'c1', metadata: {}, source: 'some text' }], { nbformat_minor: 5 });
    const { notebook, conflicts } = merge(b, local, remote);
    expect(notebook.cells[0]!.cell_type).toBe('markdown');
    expect(conflicts.map((c) => c.kind)).toEqual(['cell_type']);
  });
});

describe('mergeNotebooks: outputs and execution counts', () => {
  const local = edit(base, 2, { execution_count: 3, outputs: [stream('count 11\n')] } as Partial<Cell>);
  const remote = edit(base, 2, { execution_count: 4, outputs: [stream('count 12\n')] } as Partial<Cell>);
  const cell = (options: MergeOptions) => merge(base, local, remote, options).notebook.cells[2]!;

  it('clears outputs changed on both sides by default, and the execution count', () => {
    expect(cell({})).toMatchObject({ outputs: [], execution_count: null });
    expect(merge(base, local, remote).conflicts).toEqual([]);
  });

  it('follows the requested strategy', () => {
    expect(cell({ outputs: 'local' })).toMatchObject({ outputs: [stream('count 11\n')], execution_count: 3 });
    expect(cell({ outputs: 'remote' })).toMatchObject({ outputs: [stream('count 12\n')], execution_count: 4 });
    expect(cell({ outputs: 'union' })).toMatchObject({
      outputs: [stream('count 11\n'), stream('count 12\n')],
      execution_count: null,
    });
  });

  it('takes outputs changed on one side only', () => {
    expect(merge(base, local, base).notebook.cells[2]).toEqual(local.cells[2]);
  });

  it('resets an execution count changed differently on both sides, without a conflict', () => {
    const l = edit(base, 1, { execution_count: 2 } as Partial<Cell>);
    const r = edit(base, 1, { execution_count: 3 } as Partial<Cell>);
    const { notebook, conflicts } = merge(base, l, r);
    expect(notebook.cells[1]).toMatchObject({ execution_count: null });
    expect(conflicts).toEqual([]);
  });
});

describe('mergeNotebooks: cell identity', () => {
  const lines = [
    '# Analysis',
    'import pandas as pd',
    'df = pd.read_csv("sales.csv")',
    'df.groupby("region").sum()',
    'df.plot()',
  ];
  const withIds = (list: string[], id: (k: number) => string) =>
    nb(
      list.map((s, k) => codeCell(s, { id: id(k) })),
      { nbformat_minor: 5 },
    );

  it('merges an insertion at the top with an edit of the last cell when ids are positions ("0", "1", … rewritten after the insert)', () => {
    const b = withIds(lines, String);
    const local = withIds(['# Setup notes', ...lines], String);
    const remote = withIds([...lines.slice(0, -1), 'df.plot(kind="bar")'], String);
    const { notebook, conflicts } = merge(b, local, remote);
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual(['# Setup notes', ...lines.slice(0, -1), 'df.plot(kind="bar")']);
  });

  it("merges the same with positional ids kept by both sides and Jupyter's random id on the new cell", () => {
    const b = withIds(lines, String);
    const local = nb([codeCell('# Setup notes', { id: '9f3c2a1b' }), ...b.cells], { nbformat_minor: 5 });
    const remote = edit(b, 4, { source: 'df.plot(kind="bar")' });
    const { notebook, conflicts } = merge(b, local, remote);
    expect(conflicts).toEqual([]);
    expect(sources(notebook)).toEqual(['# Setup notes', ...lines.slice(0, -1), 'df.plot(kind="bar")']);
    expect(notebook.cells.map((c) => c.id)).toEqual(['9f3c2a1b', '0', '1', '2', '3', '4']);
  });
});

describe('mergeNotebooks: metadata', () => {
  it('merges notebook metadata as JSON and records conflicts in metadata.nbpipe', () => {
    const b = nb([], { metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, title: 'Draft' } });
    const l = nb([], { metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, title: 'Q1 report' } });
    const r = nb([], {
      metadata: { kernelspec: { name: 'ir', display_name: 'Python 3' }, title: 'Q2 report', authors: ['Ada'] },
    });
    const { notebook, conflicts } = merge(b, l, r);
    expect(notebook.metadata).toEqual({
      kernelspec: { name: 'ir', display_name: 'Python 3' },
      title: 'Q1 report',
      authors: ['Ada'],
      nbpipe: {
        conflicts: [
          {
            kind: 'metadata',
            message:
              'notebook metadata "title" changed differently in local and remote: kept local\'s value "Q1 report"',
            path: 'title',
            base: 'Draft',
            local: 'Q1 report',
            remote: 'Q2 report',
          },
        ],
      },
    });
    expect(conflicts).toEqual([{ cellIndex: null, kind: 'metadata', message: expect.stringContaining('"title"') }]);
    expect(findConflicts(notebook)).toEqual(conflicts);
  });

  it("takes local's volatile metadata (language_info, kernelspec.display_name) without a conflict when both sides changed it", () => {
    const info = (version: string, mode: JsonObject | string) => ({
      name: 'python',
      version,
      codemirror_mode: mode,
      pygments_lexer: 'ipython3',
    });
    const b = nb([], {
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' }, language_info: info('3.10.4', 'python') },
    });
    const l = nb([], {
      metadata: {
        kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)' },
        language_info: info('3.11.2', { name: 'ipython', version: 3 }),
      },
    });
    const r = nb([], {
      metadata: {
        kernelspec: { name: 'python3', display_name: 'py311' },
        language_info: info('3.12.1', { name: 'ipython', version: 2 }),
        authors: ['Ada'],
      },
    });
    const { notebook, conflicts } = merge(b, l, r);
    expect(conflicts).toEqual([]);
    expect(notebook.metadata).toEqual({ ...l.metadata, authors: ['Ada'] });
    expect(findConflicts(notebook)).toEqual([]);
  });

  it('records cell metadata conflicts on the cell; view state conflicts are not worth one', () => {
    const l = edit(base, 1, { metadata: { tags: ['setup'], collapsed: true } });
    const r = edit(base, 1, { metadata: { tags: ['imports'], collapsed: false } });
    const { notebook, conflicts } = merge(base, l, r);
    expect(notebook.cells[1]!.metadata).toMatchObject({ tags: ['setup'], collapsed: true });
    expect((notebook.cells[1]!.metadata.nbpipe as JsonObject).conflicts).toEqual([
      expect.objectContaining({ kind: 'metadata', path: 'tags', local: ['setup'], remote: ['imports'] }),
    ]);
    expect(conflicts.map((c) => [c.cellIndex, c.kind])).toEqual([[1, 'metadata']]);
  });

  it("takes local's run timing (execution, ExecuteTime) without a conflict when both sides re-ran a cell", () => {
    const timing = (at: string) => ({
      execution: { 'iopub.status.busy': at, 'iopub.status.idle': at },
      ExecuteTime: { end_time: at },
    });
    const b = edit(base, 1, { metadata: timing('2024-01-01T10:00:00Z') });
    const l = edit(base, 1, { metadata: timing('2024-02-01T10:00:00Z') });
    const r = edit(base, 1, { metadata: timing('2024-03-01T10:00:00Z') });
    const { notebook, conflicts } = merge(b, l, r);
    expect(conflicts).toEqual([]);
    expect(notebook.cells[1]!.metadata).toEqual(timing('2024-02-01T10:00:00Z'));
  });

  it('keeps both versions of an attachment changed on both sides', () => {
    const att = (data: string) => ({ 'pic.png': { 'image/png': data } });
    const b = nb([markdownCell('![](attachment:pic.png)', { attachments: att('AAAA') })]);
    const { notebook, conflicts } = merge(
      b,
      nb([markdownCell('![](attachment:pic.png)', { attachments: att('BBBB') })]),
      nb([markdownCell('![](attachment:pic.png)', { attachments: att('CCCC') })]),
    );
    expect(notebook.cells[0]!.attachments).toEqual({
      'pic.png': { 'image/png': 'BBBB' },
      'remote-pic.png': { 'image/png': 'CCCC' },
    });
    expect(conflicts.map((c) => c.kind)).toEqual(['attachments']);
  });
});

describe('mergeNotebooks: format', () => {
  it('takes the higher minor version when both changed it, and gives every cell a unique id at 4.5', () => {
    const b = nb([codeCell('x = 1')], { nbformat_minor: 2 });
    const l = nb([codeCell('x = 1')], { nbformat_minor: 4 });
    const r = nb([codeCell('x = 1', { id: 'abc' }), codeCell('y = 2', { id: 'def' })], { nbformat_minor: 5 });
    const { notebook } = merge(b, l, r);
    expect(notebook.nbformat_minor).toBe(5);
    expect(notebook.cells.map((c) => c.id)).toEqual(['abc', 'def']);
  });

  it('makes duplicate ids unique, the same way every time', () => {
    const b = nb([codeCell('x = 1', { id: 'x1' })], { nbformat_minor: 5 });
    const l = nb([codeCell('x = 1', { id: 'x1' }), codeCell('local', { id: 'same' })], { nbformat_minor: 5 });
    const r = nb([codeCell('x = 1', { id: 'x1' }), codeCell('remote', { id: 'same' })], { nbformat_minor: 5 });
    const first = merge(b, l, r).notebook;
    expect(first.cells.map((c) => c.id?.length)).toEqual([2, 4, 8]);
    expect(new Set(first.cells.map((c) => c.id)).size).toBe(3);
    expect(merge(b, l, r).notebook).toEqual(first);
  });
});

describe('findConflicts', () => {
  it('finds nothing in a clean notebook, even with a markdown setext heading', () => {
    expect(findConflicts(nb([markdownCell('Title\n=======\ntext'), codeCell('x = "<<<<<<<"')]))).toEqual([]);
  });

  it('finds markers left by a plain text merge', () => {
    const n = nb([codeCell('a = 1'), codeCell('<<<<<<< HEAD\nb = 2\n=======\nb = 3\n>>>>>>> topic')]);
    expect(findConflicts(n)).toEqual([
      { cellIndex: 1, kind: 'source', message: 'conflict markers in the source (line 1)' },
    ]);
  });
});
