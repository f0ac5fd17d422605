import { describe, expect, it } from 'vitest';
import {
  codeCell,
  emptyNotebook,
  JsonFloat,
  markdownCell,
  type JsonObject,
  type Notebook,
  type Output,
} from '@nbpipe/nbformat';
import { diffNotebooks, diffToJson, isEmptyDiff, renderDiff, textView } from '@nbpipe/merge';

/** A base64 payload of `bytes` bytes (content irrelevant). */
const png = (bytes: number, fill = 'A') => fill.repeat(Math.ceil(bytes / 3) * 4);
const image = (bytes: number, fill?: string): Output => ({
  output_type: 'display_data',
  data: { 'image/png': png(bytes, fill), 'text/plain': '<Figure size 640x480 with 1 Axes>' },
  metadata: {},
});
const stream = (text: string): Output => ({ output_type: 'stream', name: 'stdout', text });

function notebook(cells: Notebook['cells'], metadata: Notebook['metadata'] = {}): Notebook {
  return { ...emptyNotebook(metadata), nbformat_minor: 4, cells };
}

const before = notebook(
  [
    markdownCell('# Analysis\nSome intro text here.'),
    codeCell('import math\nprint(math.pi)', { execution_count: 1, outputs: [stream('3.14159\n')] }),
    codeCell('plot(x)', { execution_count: 2, outputs: [image(12_600)] }),
    codeCell('old cell that goes away completely'),
  ],
  { kernelspec: { name: 'python3', display_name: 'Python 3' } },
);
const after = notebook(
  [
    markdownCell('# Analysis\nSome intro text, edited.'),
    codeCell('import math\nprint(math.e)', { execution_count: 5, outputs: [stream('2.71828\n')] }),
    codeCell('plot(x)', { execution_count: 2, outputs: [image(14_440, 'B')], metadata: { tags: ['figure'] } }),
    markdownCell('A brand new closing remark about everything above.'),
  ],
  { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)' } },
);

describe('diffNotebooks', () => {
  it('is empty for equal notebooks', () => {
    expect(isEmptyDiff(diffNotebooks(before, before))).toBe(true);
    expect(renderDiff(diffNotebooks(before, before), { color: false, fromLabel: 'a', toLabel: 'b' })).toBe('');
  });

  it('describes modified, added and removed cells and notebook metadata', () => {
    const diff = diffNotebooks(before, after);
    expect(diff.cells.map((c) => c.op)).toEqual(['modified', 'modified', 'modified', 'removed', 'added']);
    const [intro, code, plot] = diff.cells;
    expect(intro!.op === 'modified' && intro!.changes.source?.hunks.length).toBe(1);
    expect(code!.op === 'modified' && code!.changes.executionCount).toEqual({ a: 1, b: 5 });
    expect(code!.op === 'modified' && code!.changes.outputs?.[0]).toMatchObject({ op: 'modified', a: 0, b: 0 });
    expect(plot!.op === 'modified' && plot!.changes.metadata).toEqual([{ path: ['tags'], op: 'added', b: ['figure'] }]);
    expect(diff.metadata).toEqual([
      { path: ['kernelspec', 'display_name'], op: 'changed', a: 'Python 3', b: 'Python 3 (ipykernel)' },
    ]);
  });

  it('limits itself to what the options ask for', () => {
    const sourcesOnly = diffNotebooks(before, after, { outputs: false, metadata: false, ids: false });
    expect(sourcesOnly.metadata).toEqual([]);
    for (const cell of sourcesOnly.cells)
      if (cell.op === 'modified') expect(Object.keys(cell.changes).every((k) => k === 'source')).toBe(true);
    // The plot cell changed only in outputs and metadata: nothing left to show.
    expect(sourcesOnly.cells.map((c) => c.op)).toEqual(['modified', 'modified', 'removed', 'added']);
    const noSources = diffNotebooks(before, after, { sources: false });
    expect(noSources.cells.some((c) => c.op === 'modified' && c.changes.source)).toBe(false);
  });

  it('reports moves', () => {
    const moved = notebook([before.cells[1]!, before.cells[2]!, before.cells[3]!, before.cells[0]!], before.metadata);
    const diff = diffNotebooks(before, moved);
    expect(diff.cells).toEqual([{ op: 'moved', a: 0, b: 3, cellType: 'markdown', changes: {} }]);
    expect(renderDiff(diff, { color: false })).toBe('## cell 3 (markdown) moved from 0 to 3\n');
  });

  it('gives plain JSON for tools', () => {
    const withFloat = notebook([codeCell('x', { metadata: { ratio: new JsonFloat(1, '1.0') } })]);
    const json = diffToJson(diffNotebooks(notebook([codeCell('x')]), withFloat));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json).toEqual({
      cells: [
        {
          op: 'modified',
          a: 0,
          b: 0,
          cellType: 'code',
          changes: { metadata: [{ path: ['ratio'], op: 'added', b: 1 }] },
        },
      ],
      metadata: [],
    });
  });
});

describe('renderDiff', () => {
  const text = renderDiff(diffNotebooks(before, after), {
    color: false,
    fromLabel: 'a/nb.ipynb',
    toLabel: 'b/nb.ipynb',
  });

  it('prints a header per changed cell and unified source diffs', () => {
    expect(text).toContain(
      '--- a/nb.ipynb\n+++ b/nb.ipynb\n## cell 0 (markdown) modified\n source:\n # Analysis\n-Some intro text here.\n+Some intro text, edited.\n',
    );
    expect(text).toContain('## cell 3 (code) removed\n-old cell that goes away completely\n');
    expect(text).toContain('## cell 3 (markdown) added\n+A brand new closing remark about everything above.\n');
  });

  it('diffs text outputs and summarises binary ones by size', () => {
    expect(text).toContain(' outputs:\n   output 0 (stream stdout) modified:\n-    3.14159\n+    2.71828\n');
    expect(text).toContain('image/png changed (12.3 KB → 14.1 KB)');
    expect(text).toContain(' execution_count: 1 → 5\n');
    expect(text).toContain(' metadata:\n+  tags: ["figure"]\n');
    expect(text).toContain(
      '## notebook metadata\n-  kernelspec.display_name: "Python 3"\n+  kernelspec.display_name: "Python 3 (ipykernel)"\n',
    );
  });

  it('colours only when asked', () => {
    expect(text).not.toContain('\x1b[');
    const colored = renderDiff(diffNotebooks(before, after), { color: true });
    expect(colored).toContain('\x1b[1;34m## cell 0 (markdown) modified\x1b[0m');
    expect(colored).toContain('\x1b[31m-Some intro text here.\x1b[0m');
    expect(colored).toContain('\x1b[32m+Some intro text, edited.\x1b[0m');
  });

  it('numbers hunks when a source is shown in part', () => {
    const long = Array.from({ length: 20 }, (_, k) => `line ${k}`).join('\n');
    const diff = diffNotebooks(notebook([codeCell(long)]), notebook([codeCell(long.replace('line 10', 'line ten'))]));
    expect(renderDiff(diff, { color: false })).toContain('@@ -8,7 +8,7 @@\n line 7\n');
  });
});

describe('output diffs', () => {
  const cell = (output: Output) => notebook([codeCell('x', { outputs: [output] })]);
  const render = (a: Output, b: Output) => renderDiff(diffNotebooks(cell(a), cell(b)), { color: false });

  it('diffs tracebacks as text without their colour codes', () => {
    const error = (line: string): Output => ({
      output_type: 'error',
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: ['\x1b[0;31mZeroDivisionError\x1b[0m  Traceback', `\x1b[0;32m----> 1\x1b[0m ${line}`],
    });
    expect(render(error('1/0'), error('2/0'))).toContain(
      '   output 0 (error) modified:\n     ZeroDivisionError  Traceback\n-    ----> 1 1/0\n+    ----> 1 2/0\n',
    );
  });

  it('diffs JSON outputs line by line, keys sorted', () => {
    const json = (value: JsonObject): Output => ({
      output_type: 'display_data',
      data: { 'application/json': value },
      metadata: {},
    });
    expect(render(json({ b: 1, a: [1, 2] }), json({ a: [1, 3], b: 1 }))).toContain(
      '     application/json:\n       {\n         "a": [\n           1,\n-          2\n+          3\n',
    );
  });
});

describe('textView', () => {
  it('shows cells in percent format with outputs summarised', () => {
    const errorOutput: Output = {
      output_type: 'error',
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
      traceback: ['\x1b[31m...'],
    };
    const view = textView(
      notebook(
        [
          markdownCell('# Title\n\nText', { metadata: { tags: ['intro'] } }),
          codeCell('1/0', { execution_count: 3, outputs: [stream('a\nb\n'), image(12_600), errorOutput] }),
        ],
        { kernelspec: { name: 'python3', display_name: 'Python 3' } },
      ),
    );
    expect(view).toBe(
      [
        '# metadata.kernelspec: {"display_name": "Python 3", "name": "python3"}',
        '',
        '# %% [markdown] {"tags": ["intro"]}',
        '# # Title',
        '#',
        '# Text',
        '',
        '# %%',
        '1/0',
        '# Out[3]:',
        '#   a',
        '#   b',
        '#   <Figure size 640x480 with 1 Axes>',
        '#   [image/png 12.3 KB]',
        '#   ZeroDivisionError: division by zero',
        '',
      ].join('\n'),
    );
  });

  it('is empty for an empty notebook', () => {
    expect(textView(emptyNotebook())).toBe('');
  });
});

describe('diffNotebooks: cell identity', () => {
  it('pairs cells by content when an insertion renumbered positional ids: one added cell, the others renumbered only', () => {
    const sources = ['# Analysis', 'import math', 'radius = 2.5\narea = math.pi * radius ** 2', 'print(area)'];
    const numbered = (list: string[]) => ({
      ...notebook(list.map((s, k) => codeCell(s, { id: String(k) }))),
      nbformat_minor: 5,
    });
    const diff = diffNotebooks(numbered(sources), numbered(['%load_ext autoreload', ...sources]));
    expect(diff.cells.map((c) => (c.op === 'modified' ? Object.keys(c.changes) : c.op))).toEqual([
      'added',
      ['id'],
      ['id'],
      ['id'],
      ['id'],
    ]);
    expect(
      diffNotebooks(numbered(sources), numbered(['%load_ext autoreload', ...sources]), { ids: false }).cells.map(
        (c) => c.op,
      ),
    ).toEqual(['added']);
  });
});
