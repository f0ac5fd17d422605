/**
 * nbdime's own test notebooks (the nbdime corpus of the reference data, root README "Test"): every
 * diff and merge completes and gives a valid notebook (ours and Jupyter's validator), and the outcomes
 * nbdime decides for its test notebooks are matched — or, where we decided otherwise, the difference is
 * asserted here and explained:
 *
 * 1. Both sides inserting different cells at the same place keep both, local first (the task's
 *    rule), where nbdime writes marker cells and reports a conflict (apap--1/--2).
 * 2. Outputs changed on both sides follow the outputs strategy (default: cleared) instead of
 *    nbdime's output marker blocks (single_cell_nb json_output cases, mixed-conflicts, output-conflict).
 * 3. A lone cell replaced by a lone cell of the same type counts as edited, so output-conflict's
 *    remote edit `end = 10*pi` is a source conflict with markers, not "REMOTE CELL DELETED".
 * 4. No silent conflicts (nbdime has them as bugs; README, "Merge"): an attachment conflict is recorded
 *    in the cell's metadata; both sides removing an attachment (one leaving an empty dict) is no conflict.
 * 5. Moved cells are reported as moves (src-and-output), not as an insertion plus a deletion.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProblem, parse, serialize, type JsonObject, type Notebook } from '@nbpipe/nbformat';
import { diffNotebooks, diffToJson, findConflicts, mergeNotebooks, renderDiff, type MergeOptions } from '@nbpipe/merge';
import { CORPORA, SYSTEM_PYTHON } from '@nbpipe/test-support';

const DIR = join(CORPORA, 'nbdime');
const text = (name: string) => readFileSync(join(DIR, `${name}.ipynb`), 'utf8');
/** cellids--base lacks one cell id at nbformat 4.5 (invalid; nbdime reads it anyway): read it unvalidated. */
const load = (name: string): Notebook => parse(text(name), { validate: name !== 'cellids--base' });

const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.ipynb'))
  .map((f) => f.slice(0, -'.ipynb'.length))
  .sort();
/** nbdime's groups: `X` with `X--*`, and the `multilevel-test-*` family. */
const groupOf = (name: string) => (name.startsWith('multilevel-test') ? 'multilevel-test' : name.split('--')[0]!);
const groups = [...new Set(names.map(groupOf))].map((g) => names.filter((n) => groupOf(n) === g));

/** Every merge result, validated at the end by Jupyter's own nbformat in one run. */
const outDir = mkdtempSync(join(tmpdir(), 'nbpipe-corpus-merges-'));
const written: string[] = [];
function merge(base: string, local: string, remote: string, options?: MergeOptions) {
  const result = mergeNotebooks(load(base), load(local), load(remote), options);
  expect(findProblem(result.notebook as unknown as JsonObject)).toBeUndefined();
  const file = join(outDir, `${written.length}.ipynb`);
  writeFileSync(file, serialize(result.notebook));
  written.push(`${file}\t${base} ${local} ${remote}`);
  return result;
}
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const kinds = (conflicts: { cellIndex: number | null; kind: string }[]) =>
  conflicts.map((c) => `${c.cellIndex}:${c.kind}`).sort();

describe('every corpus diff completes', () => {
  it.each(groups.filter((g) => g.length > 1).map((g) => [g[0]!.split('--')[0]!, g] as const))('%s', (_, group) => {
    for (const a of group)
      for (const b of group) {
        const diff = diffNotebooks(load(a), load(b));
        // The one pair of different files with no difference: an empty attachments dict against none.
        const equivalent =
          a === b || [a, b].sort().join() === 'attachment--empty_attachments_list,attachment--remove_attachment';
        expect(diff.cells.length === 0 && diff.metadata.length === 0 && !diff.nbformat).toBe(equivalent);
        renderDiff(diff, { color: true, fromLabel: a, toLabel: b });
        expect(JSON.parse(JSON.stringify(diffToJson(diff)))).toEqual(diffToJson(diff));
      }
  });
});

describe('every corpus merge completes with a valid notebook', () => {
  const triples = groups.flatMap((g) =>
    g.flatMap((b) => g.flatMap((l) => g.filter((r) => r !== l && l !== b && r !== b).map((r) => [b, l, r] as const))),
  );
  it('finds the corpus', () => {
    expect(triples.length).toBeGreaterThan(400);
  });
  it.each(triples)('base %s, local %s, remote %s', (b, l, r) => {
    const { notebook, conflicts } = merge(b, l, r);
    for (const c of conflicts) expect(kinds(findConflicts(notebook))).toContain(`${c.cellIndex}:${c.kind}`);
  });
});

describe('outcomes nbdime decides for merges', () => {
  it('multilevel-test: a clean merge, byte for byte nbdime’s multilevel-test-merged', () => {
    const { notebook, conflicts } = merge('multilevel-test-base', 'multilevel-test-local', 'multilevel-test-remote');
    expect(conflicts).toEqual([]);
    expect(serialize(notebook)).toBe(text('multilevel-test-merged'));
  });

  it('inline-conflict: the exact marker text, and local’s new outputs taken (inline-conflict--decisions.json)', () => {
    const { notebook, conflicts } = merge('inline-conflict--1', 'inline-conflict--2', 'inline-conflict--3');
    expect(notebook.cells[0]!.source).toBe(
      'x = 1\n<<<<<<< local\ny = 3\nz = 4\nprint(x * y / z)\n=======\nq = 3.1\nprint(x + q)\n>>>>>>> remote',
    );
    const decisions = JSON.parse(readFileSync(join(DIR, 'inline-conflict--decisions.json'), 'utf8')) as {
      common_path: (string | number)[];
      conflict: boolean;
      action: string;
    }[];
    expect(decisions.map((d) => [d.common_path.join('/'), d.conflict, d.action])).toEqual([
      ['cells/0/outputs', false, 'local'],
      ['cells/0', true, 'custom'],
    ]);
    expect(notebook.cells[0]!.outputs).toEqual(load('inline-conflict--2').cells[0]!.outputs);
    expect(kinds(conflicts)).toEqual(['0:source']);
  });

  it('source-conflict: one marker block for the whole source', () => {
    const { notebook, conflicts } = merge('source-conflict--1', 'source-conflict--2', 'source-conflict--3');
    expect(notebook.cells[0]!.source).toBe(
      '<<<<<<< local\ntest 2\nhello 2\nmore\ntext 2\nworld 2\n=======\ntest 3\nhello 3\nmore\ntext 3\nworld 3\n>>>>>>> remote',
    );
    expect(kinds(conflicts)).toEqual(['0:source']);
  });

  it('multi_cell_nb: clean merges, and CELL DELETED markers where one side deleted what the other edited', () => {
    expect(merge('multi_cell_nb', 'multi_cell_nb--local', 'multi_cell_nb--remote').conflicts).toEqual([]);
    expect(merge('multi_cell_nb', 'multi_cell_nb--cellchange', 'multi_cell_nb--remote').conflicts).toEqual([]);
    const { notebook, conflicts } = merge('multi_cell_nb', 'multi_cell_nb--cellchange', 'multi_cell_nb--local');
    expect(kinds(conflicts)).toEqual(['4:deleted', '6:deleted']);
    for (const k of [4, 6])
      expect(notebook.cells[k]!.source.startsWith('<<<<<<< LOCAL CELL DELETED >>>>>>>\n')).toBe(true);
  });

  it('single_cell_nb: the clean cases are clean', () => {
    const clean: [string, string][] = [
      ['changed_source', 'changed_output'],
      ['changed_ec', 'changed_source_output_ec'],
      ['changed_source', 'changed_source_output'],
      ['changed_metadata', 'changed_source'],
    ];
    for (const [l, r] of clean)
      expect(merge('single_cell_nb', `single_cell_nb--${l}`, `single_cell_nb--${r}`).conflicts).toEqual([]);
  });

  it('single_cell_nb: outputs changed on both sides follow the strategy instead of output markers (difference 2)', () => {
    for (const [l, r] of [
      ['changed_output', 'json_output'],
      ['json_output', 'json_output_changed'],
    ] as const) {
      const [local, remote] = [load(`single_cell_nb--${l}`), load(`single_cell_nb--${r}`)];
      const run = (outputs: MergeOptions['outputs']) =>
        merge('single_cell_nb', `single_cell_nb--${l}`, `single_cell_nb--${r}`, { outputs });
      expect(run(undefined)).toMatchObject({ conflicts: [] });
      expect(run(undefined).notebook.cells[0]).toMatchObject({ outputs: [], execution_count: null });
      expect(run('local').notebook.cells[0]!.outputs).toEqual(local.cells[0]!.outputs);
      expect(run('remote').notebook.cells[0]!.outputs).toEqual(remote.cells[0]!.outputs);
    }
  });

  it("mixed-conflicts: source conflicts in cells 0, 1 and 3, tags in cell 3; the language version is volatile, local's kept (nbdime records it)", () => {
    const { notebook, conflicts } = merge('mixed-conflicts--1', 'mixed-conflicts--2', 'mixed-conflicts--3');
    expect(kinds(conflicts)).toEqual(['0:source', '1:source', '3:metadata', '3:source']);
    expect((notebook.cells[3]!.metadata.nbpipe as JsonObject).conflicts).toEqual([
      expect.objectContaining({ path: 'tags', local: ['foo'], remote: ['bar'] }),
    ]);
    expect(notebook.metadata.nbpipe).toBeUndefined();
    expect((notebook.metadata.language_info as JsonObject).version).toBe('2.7.12');
    expect(notebook.cells[3]!.metadata.tags).toEqual(['foo']);
    // nbdime's cell 0 execution count: a one-sided remote change, taken.
    expect(
      merge('mixed-conflicts--1', 'mixed-conflicts--2', 'mixed-conflicts--3', { outputs: 'remote' }).notebook.cells[0]!
        .execution_count,
    ).toBe(load('mixed-conflicts--3').cells[0]!.execution_count);
  });

  it('output-conflict: conflicting edits of cell 1 are a source conflict (difference 3)', () => {
    const { notebook, conflicts } = merge('output-conflict--1', 'output-conflict--2', 'output-conflict--3');
    expect(kinds(conflicts)).toEqual(['1:source']);
    expect(notebook.cells[1]!.source).toBe('<<<<<<< local\nend = 3*pi\n=======\nend = 10*pi\n>>>>>>> remote');
    expect(notebook.cells[2]!.outputs).toEqual([]);
  });

  it('cellids: conflicted, with both sides’ sources and unique ids', () => {
    const { notebook, conflicts } = merge('cellids--base', 'cellids--local', 'cellids--remote');
    expect(conflicts.length).toBeGreaterThan(0);
    const lines = (n: Notebook) => new Set(n.cells.flatMap((c) => c.source.split('\n')));
    const [merged, base] = [lines(notebook), lines(load('cellids--base'))];
    for (const side of ['cellids--local', 'cellids--remote'])
      for (const line of lines(load(side))) if (!base.has(line)) expect(merged).toContain(line);
    expect(new Set(notebook.cells.map((c) => c.id)).size).toBe(notebook.cells.length);
  });

  it('apap: different cells inserted at the same place are both kept, local first (difference 1)', () => {
    const { notebook, conflicts } = merge('apap', 'apap--1', 'apap--2');
    expect(conflicts).toEqual([]);
    expect(notebook.cells.map((c) => c.source)).toEqual([
      load('apap--1').cells[0]!.source,
      load('apap--2').cells[0]!.source,
      load('apap--1').cells[1]!.source,
    ]);
    for (const remote of ['apap--3']) {
      const other = merge('apap', 'apap--1', remote);
      expect(kinds(other.conflicts)).toEqual(['2:source']);
      expect(other.notebook.cells[2]!.source).toContain(
        '<<<<<<< local\nAnother one bites the dust\n=======\nWar! What is it good for?\n>>>>>>> remote',
      );
    }
  });

  it('attachment: conflicts are recorded, not silent (difference 4)', () => {
    expect(
      kinds(merge('attachment', 'attachment--change_attachment', 'attachment--remove_attachment').conflicts),
    ).toEqual(['0:attachments']);
    expect(
      kinds(merge('attachment', 'attachment--change_attachment', 'attachment--empty_attachments_list').conflicts),
    ).toEqual(['0:attachments']);
    expect(
      merge('attachment', 'attachment--empty_attachments_list', 'attachment--remove_attachment').conflicts,
    ).toEqual([]);
  });

  it('src-and-output: merging --2 against an unchanged remote gives --2', () => {
    const { notebook, conflicts } = merge('src-and-output--1', 'src-and-output--2', 'src-and-output--1');
    expect(conflicts).toEqual([]);
    expect(serialize(notebook)).toBe(serialize(load('src-and-output--2')));
  });

  it('all merge results pass Jupyter’s nbformat validation', () => {
    const script =
      'import nbformat, sys\n' +
      'bad = []\n' +
      'for line in sys.stdin.read().splitlines():\n' +
      '    path, label = line.split("\\t")\n' +
      '    try:\n' +
      '        nbformat.validate(nbformat.read(path, 4))\n' +
      '    except Exception as e:\n' +
      '        bad.append(label + ": " + str(e).splitlines()[0])\n' +
      'print("\\n".join(bad))\n';
    expect(written.length).toBeGreaterThan(100);
    const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: written.join('\n'), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('');
  });
});

describe('diffs nbdime decides', () => {
  it('foo--1 → foo--2: the same source and output changes as nbdime’s diff driver', () => {
    const rendered = renderDiff(diffNotebooks(load('foo--1'), load('foo--2')), { color: false });
    expect(rendered).toContain(
      '## cell 0 (code) modified\n source:\n-def foe(x, y):\n+def foo(x, y):\n     return x + y\n-foe(3, 2)\n+foo(1, 2)\n',
    );
    expect(rendered).toContain('text/plain:\n-      6\n+      3\n');
    expect(rendered).toContain(
      '## cell 1 (code) modified\n source:\n-def foo(x, y):\n+def foe(x, y):\n     return x * y\n-foo(1, 2)\n+foe(1, 2)\n',
    );
    const sourcesOnly = renderDiff(diffNotebooks(load('foo--1'), load('foo--2'), { outputs: false }), { color: false });
    expect(sourcesOnly).not.toContain('outputs');
  });

  it('src-and-output--1 → --2: the swapped cells are moves (difference 5)', () => {
    const diff = diffNotebooks(load('src-and-output--1'), load('src-and-output--2'), { outputs: false });
    expect(diff.cells.map((c) => c.op === 'moved' && [c.a, c.b])).toEqual([
      [3, 2],
      [6, 5],
    ]);
  });
});
