// Notebooks with the slips Jupyter opens without complaint (README, "Slips repaired on read"), through every command
// that reads notebooks and through git's filter and drivers after `nbpipe install`: all accept them and keep the
// user's cells and outputs; `validate` reports the slips, `fmt` writes the repair. And merges keep the inputs' nbformat.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, type JsonObject } from '@nbpipe/nbformat';
import { serverKey } from '../packages/cli/src/drivers/server.js';
import { ROOT, SYSTEM_PYTHON, nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

/** A notebook as found in course repositories: a cell without id, a duplicate id, counts written as strings. */
function slipped(changes: { second?: string; third?: string; added?: string } = {}): string {
  const nb = {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# Course\n', 'week 1'] },
      {
        cell_type: 'code',
        execution_count: '12',
        id: 'dup',
        metadata: {},
        outputs: [
          { output_type: 'execute_result', data: { 'text/plain': ['42'] }, metadata: {} },
          { output_type: 'stream', name: 'stdout', text: ['printed\n'] },
        ],
        source: [changes.second ?? 'x = 41\n', 'x + 1'],
      },
      {
        cell_type: 'code',
        execution_count: '',
        id: 'dup',
        metadata: {},
        outputs: [],
        source: [changes.third ?? 'print(x)'],
      },
      ...(changes.added === undefined
        ? []
        : [{ cell_type: 'code', execution_count: '3', metadata: {}, outputs: [], source: [changes.added] }]),
    ],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

/** Jupyter's own validator: the oracle for "a valid notebook". */
function expectJupyterValid(text: string): void {
  const r = spawnSync(
    SYSTEM_PYTHON,
    ['-c', 'import nbformat,sys; nbformat.validate(nbformat.reads(sys.stdin.read(), 4))'],
    { input: text, encoding: 'utf8' },
  );
  expect(r.status, `fails nbformat.validate:\n${r.stderr}`).toBe(0);
}

function expectContent(text: string): void {
  const nb = parse(text);
  expect(nb.cells.map((c) => c.source)).toEqual([
    '# Course\nweek 1',
    expect.stringContaining('x + 1'),
    expect.stringContaining('print('),
  ]);
}

function folder(files: Record<string, string>) {
  const { dir, cleanup } = tempDir();
  removeAfterTest(cleanup);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return {
    dir,
    read: (path: string) => readFileSync(join(dir, path), 'utf8'),
    run: (...args: string[]) => nbpipe(args, { cwd: dir }),
  };
}

describe('commands read notebooks with slips', () => {
  it('validate reports each slip on its own line naming where, exit 1; fmt writes the repaired form', () => {
    const f = folder({ 'nb.ipynb': slipped() });
    const v = f.run('validate', 'nb.ipynb');
    expect(v.code).toBe(1);
    expect(
      v.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/ \((repaired on read|read and kept).*$/, '')),
    ).toEqual([
      'nb.ipynb: cells[0]: missing "id"',
      'nb.ipynb: cells[1].execution_count: expected null or a non-negative integer, got string "12"',
      'nb.ipynb: cells[1].outputs[0]: missing "execution_count"',
      'nb.ipynb: cells[2].execution_count: expected null or a non-negative integer, got string ""',
      'nb.ipynb: cells[2].id: duplicate cell id "dup"',
    ]);
    expect(f.run('fmt', '--check', 'nb.ipynb').code).toBe(1);
    expect(f.run('fmt', 'nb.ipynb').code).toBe(0);
    const fixed = f.read('nb.ipynb');
    expectContent(fixed);
    const cells = (JSON.parse(fixed) as { cells: JsonObject[] }).cells;
    expect(cells.map((c) => c.execution_count)).toEqual([undefined, 12, null]);
    expect((cells[1]!.outputs as JsonObject[]).length).toBe(2);
    expect(new Set(cells.map((c) => c.id)).size).toBe(3);
    // The result without a count stays as Jupyter keeps it, and is still reported.
    const again = f.run('validate', 'nb.ipynb');
    expect([again.code, again.stdout]).toEqual([
      1,
      'nb.ipynb: cells[1].outputs[0]: missing "execution_count" (read and kept as written, as Jupyter does)\n',
    ]);
    expect(f.run('fmt', '--check', 'nb.ipynb').code).toBe(0);
    // Everything else is valid for Jupyter.
    const withCount = JSON.parse(fixed) as { cells: { outputs?: JsonObject[] }[] };
    withCount.cells[1]!.outputs![0]!.execution_count = null;
    expectJupyterValid(JSON.stringify(withCount));
  });

  it('validate and fmt refuse only what is not a notebook: exit 2, one line', () => {
    const f = folder({ 'bad.ipynb': '{"cells": [', 'list.ipynb': '[1]' });
    for (const args of [
      ['validate', 'bad.ipynb'],
      ['validate', 'list.ipynb'],
      ['fmt', 'bad.ipynb'],
    ]) {
      const r = f.run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^nbpipe: ${args[1]}: `));
    }
  });

  it('convert, pair, sync, strip, diff and merge accept them and keep every cell and output', () => {
    const f = folder({
      'nb.ipynb': slipped(),
      'ours.ipynb': slipped({ second: 'x = 40\n' }),
      'theirs.ipynb': slipped({ third: 'print(x * 2)' }),
    });
    const py = f.run('convert', 'nb.ipynb', '--to', 'py', '-o', '-');
    expect(py.code, py.stderr).toBe(0);
    expect(py.stdout).toContain('x = 41\nx + 1');
    const back = f.run('convert', 'nb.ipynb', '--to', 'ipynb', '-o', 'copy.ipynb');
    expect(back.code, back.stderr).toBe(0);

    const strip = f.run('strip', '--keep-output', '--keep-count', '--dry-run', 'nb.ipynb');
    expect(strip.code, strip.stderr).toBe(0);

    const diff = f.run('diff', 'nb.ipynb', 'ours.ipynb');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/x = 40/);

    const merge = f.run('merge', 'nb.ipynb', 'ours.ipynb', 'theirs.ipynb', '-o', 'merged.ipynb');
    expect(merge.code, merge.stderr).toBe(0);
    const merged = parse(f.read('merged.ipynb'));
    expect(merged.cells.map((c) => c.source)).toEqual(['# Course\nweek 1', 'x = 40\nx + 1', 'print(x * 2)']);
    expect(merged.cells[1]!.cell_type === 'code' && merged.cells[1]!.outputs).toHaveLength(2);

    const pair = f.run('pair', 'nb.ipynb', '--formats', 'ipynb,py:percent');
    expect(pair.code, pair.stderr).toBe(0);
    expect(f.read('nb.py')).toContain('print(x)');
    writeFileSync(join(f.dir, 'nb.py'), f.read('nb.py').replace('print(x)', 'print(x + 0)'));
    const sync = f.run('sync', 'nb.py');
    expect(sync.code, sync.stderr).toBe(0);
    const synced = parse(f.read('nb.ipynb'));
    expect(synced.cells[2]!.source).toBe('print(x + 0)');
    // The unedited cell keeps its outputs and its (repaired) count.
    expect(
      synced.cells[1]!.cell_type === 'code' && [synced.cells[1]!.execution_count, synced.cells[1]!.outputs.length],
    ).toEqual([12, 2]);
  });

  it('strip writes them out stripped and valid', () => {
    const f = folder({ 'nb.ipynb': slipped() });
    const r = f.run('strip', 'nb.ipynb');
    expect(r.code, r.stderr).toBe(0);
    expectJupyterValid(f.read('nb.ipynb'));
    expectContent(f.read('nb.ipynb'));
  });

  it('the runner runs a notebook task with slips', () => {
    const nb = JSON.parse(slipped()) as { cells: JsonObject[] };
    nb.cells.splice(1, 0, {
      cell_type: 'code',
      execution_count: '1',
      metadata: { tags: ['parameters'] },
      outputs: [],
      source: 'upstream = None\nproduct = None',
    });
    const f = folder({
      'pipeline.yaml': 'executor: python\ntasks:\n  - source: t.ipynb\n    product:\n      nb: out.ipynb\n',
      't.ipynb': JSON.stringify(nb),
    });
    const r = f.run('run');
    expect(r.code, r.stderr).toBe(0);
    const out = parse(f.read('out.ipynb'));
    expect(
      out.cells.some(
        (c) => c.cell_type === 'code' && c.outputs.some((o) => o.output_type === 'stream' && o.text.includes('41')),
      ),
    ).toBe(true);
  });
});

/** A repository with nbpipe installed and the slipped notebook committed. */
function installedRepo() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  const installed = nbpipe(['install'], { cwd: r.dir });
  expect(installed.code, installed.stderr).toBe(0);
  r.write('nb.ipynb', slipped());
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'base');
  const gitMayFail = (...args: string[]) =>
    run('git', args, { cwd: r.dir, allowFailure: true, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  return { ...r, gitMayFail };
}

describe('git after nbpipe install, with slips', () => {
  it('the clean filter commits them stripped and repaired, the same blob every time, and the working copy keeps its outputs', () => {
    const r = installedRepo();
    const blob = r.git('rev-parse', 'HEAD:nb.ipynb').stdout;
    const committed = r.git('show', 'HEAD:nb.ipynb').stdout;
    expectJupyterValid(committed);
    expectContent(committed);
    expect(committed).not.toContain('printed');
    expect(r.read('nb.ipynb')).toBe(slipped());
    expect(r.git('status', '--porcelain').stdout).toBe('');
    expect(r.git('hash-object', '--path', 'nb.ipynb', 'nb.ipynb').stdout).toBe(blob);
    r.write('nb.ipynb', slipped());
    expect(r.git('status', '--porcelain').stdout).toBe('');
  });

  it('git diff and the drivers server show cell-level diffs', async () => {
    const r = installedRepo();
    r.write('nb.ipynb', slipped({ second: 'x = 40\n' }));
    const diff = r.git('diff').stdout;
    expect(diff).toMatch(/^-x = 41$/m);
    expect(diff).toMatch(/^\+x = 40$/m);
    expect(diff).not.toContain('"cell_type"');

    // The resident server (started in the background by the client) answers what the driver answers.
    const { dir: tmp, cleanup } = tempDir('nbpipe-server-');
    removeAfterTest(cleanup);
    const drivers = join(ROOT, 'packages/cli/drivers/git-drivers.cjs');
    r.write('old.ipynb', slipped());
    const args = ['diff-driver', 'nb.ipynb', 'old.ipynb', '0', '100644', 'nb.ipynb', '0', '100644'];
    const client = () =>
      spawnSync(
        'perl',
        [join(ROOT, 'packages/cli/drivers/driver-client.pl'), process.execPath, drivers, serverKey(drivers), ...args],
        {
          cwd: r.dir,
          env: { ...process.env, NO_COLOR: '', TMPDIR: tmp },
          encoding: 'utf8',
        },
      );
    let served = client();
    for (let k = 0; k < 200 && served.status !== 0; k++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      served = client();
    }
    expect(served.status).toBe(0);
    expect(served.stdout).toBe(nbpipe(args, { cwd: r.dir }).stdout);
    expect(served.stdout).toMatch(/x = 41/);
  });

  it('git merge merges them cell by cell with the merge driver', () => {
    const r = installedRepo();
    r.git('checkout', '-q', '-b', 'topic');
    r.write('nb.ipynb', slipped({ third: 'print(x * 2)', added: 'theirs()' }));
    r.git('commit', '-q', '-am', 'theirs');
    r.git('checkout', '-q', 'main');
    r.write('nb.ipynb', slipped({ second: 'x = 40\n', added: 'ours()' }));
    r.git('commit', '-q', '-am', 'ours');
    // Both sides appended a cell: a conflict for git's line merge, two cells for nbpipe's.
    const m = r.gitMayFail('merge', '--no-edit', 'topic');
    expect(m.code, m.stdout + m.stderr).toBe(0);
    const merged = parse(r.read('nb.ipynb'));
    expect(merged.cells.map((c) => c.source)).toEqual([
      '# Course\nweek 1',
      'x = 40\nx + 1',
      'print(x * 2)',
      'ours()',
      'theirs()',
    ]);
    // The merge commit is valid; the working copy gets back the outputs the user had, slips included (README: outputs
    // through git operations), so it is checked for what it keeps, not against the validator.
    expectJupyterValid(r.git('show', 'HEAD:nb.ipynb').stdout);
    expect(merged.cells[1]!.cell_type === 'code' && merged.cells[1]!.outputs.length).toBe(2);
  });
});

/** `cells` written by Jupyter as nbformat 3 (via Debian's nbformat). */
function jupyterV3(cells: object[]): string {
  const v4 = JSON.stringify({
    cells,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
  const script =
    'import sys, logging, nbformat\nlogging.disable(logging.CRITICAL)\nprint(nbformat.writes(nbformat.reads(sys.stdin.read(), as_version=4), version=3))';
  return run(SYSTEM_PYTHON, ['-c', script], { input: v4 }).stdout;
}

const v3Cells = (second: string, third: string) => [
  { cell_type: 'markdown', id: 'a', metadata: {}, source: '# Title' },
  {
    cell_type: 'code',
    execution_count: 1,
    id: 'b',
    metadata: {},
    outputs: [{ output_type: 'stream', name: 'stdout', text: 'é\n' }],
    source: second,
  },
  { cell_type: 'code', execution_count: null, id: 'c', metadata: {}, outputs: [], source: third },
];

describe('merges keep the nbformat version of their inputs', () => {
  it('nbformat 3 stays nbformat 3, written as Jupyter writes it (nbpipe merge and git merge)', () => {
    const f = folder({
      'base.ipynb': jupyterV3(v3Cells('x = 1', 'y = 1')),
      'ours.ipynb': jupyterV3(v3Cells('x = 2', 'y = 1')),
      'theirs.ipynb': jupyterV3(v3Cells('x = 1', 'y = 2')),
    });
    const m = f.run('merge', 'base.ipynb', 'ours.ipynb', 'theirs.ipynb');
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toBe(jupyterV3(v3Cells('x = 2', 'y = 2')));

    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    r.write('nb.ipynb', f.read('base.ipynb'));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'base');
    r.git('checkout', '-q', '-b', 'topic');
    r.write('nb.ipynb', f.read('theirs.ipynb'));
    r.git('commit', '-q', '-am', 'theirs');
    r.git('checkout', '-q', 'main');
    r.write('nb.ipynb', f.read('ours.ipynb'));
    r.git('commit', '-q', '-am', 'ours');
    const merged = run('git', ['merge', '--no-edit', 'topic'], { cwd: r.dir, allowFailure: true });
    expect(merged.code, merged.stdout + merged.stderr).toBe(0);
    expect(JSON.parse(r.read('nb.ipynb')).nbformat).toBe(3);
    expect(parse(r.read('nb.ipynb')).cells.map((c) => c.source)).toEqual(['# Title', 'x = 2', 'y = 2']);
  });

  it('4.4 stays 4.4 without ids; a version changed on one side only is taken', () => {
    const v44 = (second: string) =>
      JSON.stringify(
        {
          cells: [{ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: [second] }],
          metadata: {},
          nbformat: 4,
          nbformat_minor: 4,
        },
        null,
        1,
      ) + '\n';
    const f = folder({
      'base.ipynb': v44('a'),
      'ours.ipynb': v44('b'),
      'theirs.ipynb': v44('a'),
      'upgraded.ipynb': v44('a').replace('"nbformat_minor": 4', '"nbformat_minor": 5'),
    });
    const m = f.run('merge', 'base.ipynb', 'ours.ipynb', 'theirs.ipynb');
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toBe(v44('b'));
    const up = f.run('merge', 'base.ipynb', 'ours.ipynb', 'upgraded.ipynb');
    expect(up.code, up.stderr).toBe(0);
    const upgraded = JSON.parse(up.stdout) as { nbformat_minor: number; cells: JsonObject[] };
    expect(upgraded.nbformat_minor).toBe(5);
    expect(upgraded.cells[0]!.id).toMatch(/^[0-9a-f]{8}$/);
  });
});
