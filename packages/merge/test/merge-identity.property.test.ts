// Cell identity under merge (README: "Cell identity and volatile metadata"): random disjoint edit scripts (insert,
// delete, move, edit cells, on both sides) applied to a base notebook whose ids are Jupyter's random ones, renumbered
// "0".."n-1" after each side's edit (the old git filter), positional and kept, or missing. The merge never conflicts,
// gives every cell exactly the content the sides gave it, keeps their order (where ids tell cells apart), and Jupyter's nbformat.validate accepts
// every result (one python process for all runs). Needs Debian's python3-nbformat (SYSTEM_PYTHON).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serialize, type Cell, type Notebook } from '@nbpipe/nbformat';
import { mergeNotebooks } from '@nbpipe/merge';
import { SYSTEM_PYTHON, run } from '@nbpipe/test-support';

type IdMode = 'random' | 'renumbered' | 'positional' | 'missing';
type Side = 'local' | 'remote';

// Lines shared between the base cells, so that they look alike as in real notebooks. New cells are written
// differently: one deleted and a look-alike inserted elsewhere would be a move, whatever the ids.
const COMMON = ['import numpy as np', 'df = load()', 'df.head()', 'plt.show()', 'x = x + 1', 'print(x)'];
const FRESH = [
  'fig, ax = plt.subplots(figsize=(8, 4))',
  'summary = report.describe(include="all")',
  'for name, group in frame.groupby("k"):',
  '    total += group.value.sum()',
];

interface Script {
  /** Per base cell: which side touches it (if any) and how; the sides never touch the same cell. */
  actions: ({ side: Side; op: 'edit' | 'delete' } | { side: Side; op: 'move'; to: number } | null)[];
  /** Cells each side inserts, by the gap (0..n) they go to. */
  inserts: { side: Side; gap: number }[];
}

const baseArb = fc.array(
  fc.record({ markdown: fc.boolean(), lines: fc.array(fc.constantFrom(...COMMON), { maxLength: 3 }) }),
  { minLength: 1, maxLength: 8 },
);

const scriptArb = (n: number): fc.Arbitrary<Script> =>
  fc.record({
    actions: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        fc.record({
          side: fc.constantFrom<Side>('local', 'remote'),
          op: fc.constantFrom<'edit' | 'delete'>('edit', 'delete'),
        }),
        fc.record({
          side: fc.constantFrom<Side>('local', 'remote'),
          op: fc.constant<'move'>('move'),
          to: fc.nat({ max: n }),
        }),
      ),
      { minLength: n, maxLength: n },
    ),
    inserts: fc.array(fc.record({ side: fc.constantFrom<Side>('local', 'remote'), gap: fc.nat({ max: n }) }), {
      maxLength: 4,
    }),
  });

/** An 8-hex id as Jupyter makes them (uuid4().hex[:8]), derived from a name so runs replay. */
function jupyterId(name: string): string {
  let hash = 0x811c9dc5;
  for (let k = 0; k < name.length; k++) hash = Math.imul(hash ^ name.charCodeAt(k), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, 'a');
}

interface Built {
  cell: Cell;
  /** Its identity line: names the cell whatever its content and id. */
  name: string;
  moved: boolean;
}

function cell(markdown: boolean, name: string, lines: readonly string[]): Cell {
  const source = markdown
    ? [`## ${name}`, ...lines.map((l) => `- ${l}`)].join('\n')
    : [...lines, `${name} = step("${name}")`].join('\n');
  return markdown
    ? { cell_type: 'markdown', metadata: {}, source }
    : { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source };
}

/** One side (or, with `side` null, the expected merge) laid out gap by gap around the base cells. */
function layout(base: readonly Built[], script: Script, sides: readonly Side[], mode: IdMode): Built[] {
  const out: Built[] = [];
  const gapItems = (gap: number) => {
    for (const side of sides) {
      script.actions.forEach((action, k) => {
        if (action?.op === 'move' && action.side === side && action.to === gap) out.push({ ...base[k]!, moved: true });
      });
      script.inserts.forEach((insert, k) => {
        if (insert.side !== side || insert.gap !== gap) return;
        const name = `${side}_new_${k}`;
        const fresh = cell(k % 3 === 0, name, FRESH.slice(k % 3, (k % 3) + 2));
        out.push({ cell: mode === 'missing' ? fresh : { ...fresh, id: jupyterId(name) }, name, moved: false });
      });
    }
  };
  base.forEach((item, k) => {
    gapItems(k);
    const action = script.actions[k];
    const mine = action && sides.includes(action.side);
    if (mine && action.op !== 'edit') return;
    if (mine && action.op === 'edit')
      out.push({ ...item, cell: { ...item.cell, source: `${item.cell.source}\n# edited in ${action.side}` } });
    else out.push(item);
  });
  gapItems(base.length);
  return out;
}

const notebook = (cells: readonly Built[], mode: IdMode, renumber: boolean): Notebook => ({
  nbformat: 4,
  nbformat_minor: mode === 'missing' ? 4 : 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: cells.map(({ cell }, k) => (renumber ? { ...cell, id: String(k) } : cell)),
});

const caseArb = fc
  .record({ mode: fc.constantFrom<IdMode>('random', 'renumbered', 'positional', 'missing'), base: baseArb })
  .chain(({ mode, base }) =>
    fc.record({ mode: fc.constant(mode), base: fc.constant(base), script: scriptArb(base.length) }),
  );

function validateAll(texts: string[]): string[] {
  const script = `
import json, sys, nbformat
problems = []
for text in json.load(sys.stdin):
    try:
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
        problems.append('')
    except Exception as e:
        problems.append(str(e).splitlines()[0])
json.dump(problems, sys.stdout)
`;
  const r = run(SYSTEM_PYTHON, ['-c', script], {
    input: JSON.stringify(texts),
    maxBuffer: 1 << 28,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  return JSON.parse(r.stdout) as string[];
}

describe('merging disjoint edits, whatever the cell ids', () => {
  it("never conflicts, loses or duplicates no cell or line, keeps both sides' order, and Jupyter validates the result", () => {
    const merged: string[] = [];
    fc.assert(
      fc.property(caseArb, ({ mode, base: spec, script }) => {
        // A move to the gap on either side of the cell is no move. Moving a over b is moving b over a: a remote
        // move across the cells a local move crosses is the same change made twice, not a disjoint one.
        script.actions = script.actions.map((a, k) => (a?.op === 'move' && (a.to === k || a.to === k + 1) ? null : a));
        const span = (k: number, to: number) => [Math.min(k, to), Math.max(k, to)] as const;
        const localSpans = script.actions.flatMap((a, k) =>
          a?.op === 'move' && a.side === 'local' ? [span(k, a.to)] : [],
        );
        script.actions = script.actions.map((a, k) => {
          if (a?.op !== 'move' || a.side !== 'remote') return a;
          const [from, to] = span(k, a.to);
          return localSpans.some(([x, y]) => from <= y && x <= to) ? null : a;
        });
        const base: Built[] = spec.map(({ markdown, lines }, k) => {
          const name = `cell_${k}`;
          const made = cell(markdown, name, lines);
          const id = mode === 'random' ? jupyterId(name) : String(k);
          return { cell: mode === 'missing' ? made : { ...made, id }, name, moved: false };
        });
        const renumber = mode === 'renumbered';
        const local = layout(base, script, ['local'], mode);
        const remote = layout(base, script, ['remote'], mode);
        const expected = layout(base, script, ['local', 'remote'], mode);

        const result = mergeNotebooks(
          notebook(base, mode, false),
          notebook(local, mode, renumber),
          notebook(remote, mode, renumber),
        );
        merged.push(serialize(result.notebook));
        expect(
          result.conflicts.map((c) => `${c.cellIndex}: ${c.message}`),
          merged.at(-1),
        ).toEqual([]);

        // Each cell once, with the content its editor gave it.
        const nameOf = (c: Cell) => /(\w+_\d+)(?: = step|\n|$)/.exec(String(c.source))?.[1] ?? `?${String(c.source)}`;
        const bySource = (cells: readonly Cell[]) => cells.map((c) => `${nameOf(c)}: ${String(c.source)}`).sort();
        expect(bySource(result.notebook.cells)).toEqual(bySource(expected.map((b) => b.cell)));
        // Both sides' order is kept where ids tell the cells apart. (Without them, a deleted cell and a new
        // look-alike can pass for an edit, as in a text merge; with a move, which cells moved can be told two
        // ways: [a, b] to [b, a].)
        if (mode !== 'random' || expected.some((b) => b.moved)) return;
        const order = result.notebook.cells.map(nameOf);
        for (const side of [local, remote]) {
          const names = side.map((b) => b.name);
          expect(
            order.filter((name) => names.includes(name)),
            `merged ${order.join(' ')}`,
          ).toEqual(names.filter((name) => order.includes(name)));
        }
      }),
      { numRuns: Number(process.env.NBPIPE_PROPERTY_RUNS ?? 300) },
    );
    const problems = validateAll(merged);
    expect(problems.filter(Boolean)).toEqual([]);
  });
});
