import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findProblem, serialize, type Cell, type JsonObject, type Notebook, type Output } from '@nbpipe/nbformat';
import { diffNotebooks, findConflicts, isEmptyDiff, mergeNotebooks, renderDiff } from '@nbpipe/merge';

// Few distinct lines, so that random edits collide, overlap and look alike as real edits do.
const LINES = [
  'import numpy as np',
  'x = 1',
  'y = x + 1',
  'print(x, y)',
  'def f(a):',
  '    return a * 2',
  '',
  '# a comment',
  'f(3)',
  'plt.show()',
];
const OUTPUT_TEXTS = ['1\n', '2\n', 'hello\n', 'done\n'];

const sourceArb = fc.array(fc.constantFrom(...LINES), { maxLength: 5 }).map((lines) => lines.join('\n'));
const outputArb: fc.Arbitrary<Output> = fc
  .constantFrom(...OUTPUT_TEXTS)
  .map((text) => ({ output_type: 'stream', name: 'stdout', text }));
const cellArb: fc.Arbitrary<Cell> = fc.oneof(
  fc.record({
    cell_type: fc.constant('code' as const),
    source: sourceArb,
    metadata: fc.constantFrom<JsonObject>({}, { tags: ['a'] }, { collapsed: true }),
    execution_count: fc.option(fc.integer({ min: 1, max: 9 }), { nil: null }),
    outputs: fc.array(outputArb, { maxLength: 2 }),
  }),
  fc.record({
    cell_type: fc.constant('markdown' as const),
    source: sourceArb.map((s) => s.replace(/^/gm, '')),
    metadata: fc.constantFrom<JsonObject>({}, { tags: ['b'] }),
  }),
);

/** nbformat 4.4 without ids, or 4.5 with unique ids (`prefix` + position). */
function withIds(cells: Cell[], minor: number, prefix: string): Cell[] {
  return cells.map((cell, k) => {
    const copy = { ...cell };
    delete copy.id;
    return minor >= 5 ? { ...copy, id: `${prefix}${k}` } : copy;
  });
}

const notebookArb: fc.Arbitrary<Notebook> = fc
  .record({
    cells: fc.array(cellArb, { maxLength: 6 }),
    minor: fc.constantFrom(4, 5),
    lang: fc.constantFrom('3.10', '3.11'),
  })
  .map(({ cells, minor, lang }) => ({
    nbformat: 4,
    nbformat_minor: minor,
    metadata: { language_info: { name: 'python', version: lang } },
    cells: withIds(cells, minor, 'b'),
  }));

type Edit =
  | { op: 'editLine'; cell: number; line: number; text: string }
  | { op: 'insertLine'; cell: number; line: number; text: string }
  | { op: 'deleteLine'; cell: number; line: number }
  | { op: 'deleteCell'; cell: number }
  | { op: 'insertCell'; at: number; cell: Cell }
  | { op: 'moveCell'; cell: number; to: number }
  | { op: 'outputs'; cell: number; outputs: Output[]; count: number }
  | { op: 'tags'; cell: number; tags: string[] }
  | { op: 'metadata'; version: string };

const index = fc.nat({ max: 20 });
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant('editLine' as const),
    cell: index,
    line: index,
    text: fc.constantFrom(...LINES, 'z = 42'),
  }),
  fc.record({
    op: fc.constant('insertLine' as const),
    cell: index,
    line: index,
    text: fc.constantFrom(...LINES, 'w = 0'),
  }),
  fc.record({ op: fc.constant('deleteLine' as const), cell: index, line: index }),
  fc.record({ op: fc.constant('deleteCell' as const), cell: index }),
  fc.record({ op: fc.constant('insertCell' as const), at: index, cell: cellArb }),
  fc.record({ op: fc.constant('moveCell' as const), cell: index, to: index }),
  fc.record({
    op: fc.constant('outputs' as const),
    cell: index,
    outputs: fc.array(outputArb, { maxLength: 2 }),
    count: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({ op: fc.constant('tags' as const), cell: index, tags: fc.constantFrom<string[]>(['x'], ['y'], []) }),
  fc.record({ op: fc.constant('metadata' as const), version: fc.constantFrom('3.12', '3.13') }),
);

/** A side: the base after a few random edits. New cells get ids unique to the side. */
function applyEdits(base: Notebook, edits: readonly Edit[], side: string): Notebook {
  const cells = base.cells.map((c) => ({ ...c }));
  let metadata = base.metadata;
  let fresh = 0;
  for (const e of edits) {
    const n = cells.length;
    if (e.op === 'insertCell') {
      const cell = { ...e.cell };
      delete cell.id;
      cells.splice(e.at % (n + 1), 0, base.nbformat_minor >= 5 ? { ...cell, id: `${side}${fresh++}` } : cell);
      continue;
    }
    if (e.op === 'metadata') {
      metadata = { ...metadata, language_info: { name: 'python', version: e.version } };
      continue;
    }
    if (n === 0) continue;
    const k = e.cell % n;
    const cell = cells[k]!;
    const lines = cell.source === '' ? [] : cell.source.split('\n');
    switch (e.op) {
      case 'editLine':
        if (lines.length) lines[e.line % lines.length] = e.text;
        cells[k] = { ...cell, source: lines.join('\n') };
        break;
      case 'insertLine':
        lines.splice(e.line % (lines.length + 1), 0, e.text);
        cells[k] = { ...cell, source: lines.join('\n') };
        break;
      case 'deleteLine':
        if (lines.length) lines.splice(e.line % lines.length, 1);
        cells[k] = { ...cell, source: lines.join('\n') };
        break;
      case 'deleteCell':
        cells.splice(k, 1);
        break;
      case 'moveCell':
        cells.splice(e.to % n, 0, ...cells.splice(k, 1));
        break;
      case 'outputs':
        if (cell.cell_type === 'code') cells[k] = { ...cell, outputs: e.outputs, execution_count: e.count };
        break;
      case 'tags':
        cells[k] = { ...cell, metadata: { ...cell.metadata, tags: e.tags } };
        break;
    }
  }
  return { ...base, metadata, cells };
}

const triple = notebookArb.chain((base) =>
  fc
    .tuple(fc.constant(base), fc.array(editArb, { maxLength: 5 }), fc.array(editArb, { maxLength: 5 }))
    .map(
      ([b, localEdits, remoteEdits]) => [b, applyEdits(b, localEdits, 'l'), applyEdits(b, remoteEdits, 'r')] as const,
    ),
);

const RUNS = { numRuns: Number(process.env.NBPIPE_PROPERTY_RUNS ?? 400) };
// A source's lines; a final newline ends the last line rather than starting an empty one.
const sourceLines = (nb: Notebook) =>
  new Set(nb.cells.flatMap((c) => (c.source === '' ? [] : c.source.replace(/\n$/, '').split('\n'))));

describe('merge properties', () => {
  it('merge(b, x, b) = x and merge(b, b, y) = y, with no conflict', () => {
    fc.assert(
      fc.property(triple, ([b, x, y]) => {
        const left = mergeNotebooks(b, x, b);
        expect(serialize(left.notebook)).toBe(serialize(x));
        expect(left.conflicts).toEqual([]);
        const right = mergeNotebooks(b, b, y);
        expect(serialize(right.notebook)).toBe(serialize(y));
        expect(right.conflicts).toEqual([]);
      }),
      RUNS,
    );
  });

  it('merge(b, x, x) = x, with no conflict', () => {
    fc.assert(
      fc.property(triple, ([b, x]) => {
        const result = mergeNotebooks(b, x, x);
        expect(serialize(result.notebook)).toBe(serialize(x));
        expect(result.conflicts).toEqual([]);
      }),
      RUNS,
    );
  });

  it('loses no line either side added, gives a valid notebook and marks every conflict where findConflicts sees it', () => {
    fc.assert(
      fc.property(triple, ([b, x, y]) => {
        const { notebook, conflicts } = mergeNotebooks(b, x, y);
        expect(findProblem(notebook as unknown as JsonObject)).toBeUndefined();
        const merged = sourceLines(notebook);
        const baseLines = sourceLines(b);
        for (const side of [x, y])
          for (const line of sourceLines(side))
            if (!baseLines.has(line)) expect(merged, `line ${JSON.stringify(line)}`).toContain(line);
        const found = findConflicts(notebook).map((c) => `${c.cellIndex}:${c.kind}`);
        for (const c of conflicts) expect(found).toContain(`${c.cellIndex}:${c.kind}`);
        expect(serialize(mergeNotebooks(b, x, y).notebook)).toBe(serialize(notebook));
      }),
      RUNS,
    );
  });
});

describe('diff properties', () => {
  it('is empty exactly when the notebooks are equal, and always renders', () => {
    fc.assert(
      fc.property(triple, ([b, x]) => {
        const diff = diffNotebooks(b, x);
        expect(isEmptyDiff(diff)).toBe(serialize(b) === serialize(x));
        expect(renderDiff(diff, { color: false }) === '').toBe(isEmptyDiff(diff));
      }),
      RUNS,
    );
  });
});
