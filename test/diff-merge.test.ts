import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, parse, serialize, type Cell, type Notebook } from '@nbpipe/nbformat';
import { SYSTEM_PYTHON, nbpipe, removeAfterTest, run, tempRepo } from './helpers.js';

function notebookText(cells: Cell[]): string {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    },
    cells,
  };
  return serialize(nb);
}

const md = (id: string, source: string) => markdownCell(source, { id });
const code = (id: string, source: string, extra: Partial<Parameters<typeof codeCell>[1]> = {}) =>
  codeCell(source, { id, ...extra });
const stream = (text: string, execution_count: number | null = 1) => ({
  execution_count,
  outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text }],
});

/** The starting notebook every scenario edits. */
const BASE = [
  md('intro', '# Analysis\nLoad and summarise.'),
  code('load', 'import pandas as pd\ndf = pd.read_csv("data.csv")'),
  code('stats', 'total = df["x"].sum()\nprint(total)', stream('42\n')),
  code('plot', 'df.plot()'),
];

function withCell(cells: Cell[], id: string, change: (c: Cell) => Cell): Cell[] {
  return cells.map((c) => (c.id === id ? change(structuredClone(c)) : c));
}
const editSource = (cells: Cell[], id: string, source: string) => withCell(cells, id, (c) => ({ ...c, source }));

/** A repository with nbpipe installed (`nbpipe install` and `options`) and `nb.ipynb` committed on main. */
function installedRepo(options: string[] = []) {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  const installed = nbpipe(['install', ...options], { cwd: r.dir });
  expect(installed.code, installed.stderr).toBe(0);
  r.write('nb.ipynb', notebookText(BASE));
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'base');
  const commit = (message: string, files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) r.write(path, text);
    r.git('add', '-A');
    r.git('commit', '-q', '-m', message);
  };
  const gitMayFail = (...args: string[]) =>
    run('git', args, { cwd: r.dir, allowFailure: true, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  return { ...r, commit, gitMayFail };
}

/** Jupyter's own validator: the oracle for "a valid notebook". */
function expectJupyterValid(file: string): void {
  const r = spawnSync(
    SYSTEM_PYTHON,
    ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))', file],
    { encoding: 'utf8' },
  );
  expect(r.status, `${file} fails nbformat.validate:\n${r.stderr}`).toBe(0);
}

function sources(text: string): string[] {
  return parse(text).cells.map((c) => c.source as string);
}

/** Two branches from the base: `left` (main) and `right` (topic), each one commit. */
function branches(left: Cell[], right: Cell[], installOptions: string[] = []) {
  const r = installedRepo(installOptions);
  r.git('checkout', '-q', '-b', 'topic');
  r.commit('right', { 'nb.ipynb': notebookText(right) });
  r.git('checkout', '-q', 'main');
  r.commit('left', { 'nb.ipynb': notebookText(left) });
  return r;
}

type Integration = 'merge' | 'rebase' | 'cherry-pick';

/** Bring topic's change into main's with one of git's three-way operations; the result is in the working tree. */
function integrate(r: ReturnType<typeof branches>, how: Integration) {
  if (how === 'merge') return r.gitMayFail('merge', '--no-edit', 'topic');
  if (how === 'cherry-pick') return r.gitMayFail('cherry-pick', 'topic');
  // rebase topic onto main: "ours" is main's version, "theirs" topic's
  r.git('checkout', '-q', 'topic');
  return r.gitMayFail('rebase', 'main');
}

const HOW: Integration[] = ['merge', 'rebase', 'cherry-pick'];

describe('git diff, show and log -p after nbpipe install', () => {
  it('git diff shows a modified notebook cell by cell, not JSON', () => {
    const r = installedRepo();
    r.write('nb.ipynb', notebookText(editSource(BASE, 'stats', 'total = df["x"].mean()\nprint(total)')));
    const out = r.git('diff').stdout;
    expect(out).toContain('nb.ipynb');
    expect(out).toMatch(/^-.*df\["x"\]\.sum\(\)/m);
    expect(out).toMatch(/^\+.*df\["x"\]\.mean\(\)/m);
    expect(out).not.toContain('"cell_type"');
    expect(out).not.toContain('"source"');
  });

  it('git diff shows added and deleted notebooks as cells', () => {
    const r = installedRepo();
    r.write('new.ipynb', notebookText([code('n1', 'fresh = True')]));
    r.git('add', 'new.ipynb');
    r.git('rm', '-q', 'nb.ipynb');
    const out = r.git('diff', '--cached').stdout;
    expect(out).toMatch(/^\+.*fresh = True/m);
    expect(out).toMatch(/^-.*import pandas as pd/m);
    expect(out).not.toContain('"cell_type"');
  });

  it('git show and git log -p show notebook changes as text, for modified, added and deleted files', () => {
    const r = installedRepo();
    r.commit('edit', { 'nb.ipynb': notebookText(editSource(BASE, 'plot', 'df.plot(kind="bar")')) });
    r.commit('add', { 'other.ipynb': notebookText([md('m', 'Notes about **bars**')]) });
    r.git('rm', '-q', 'other.ipynb');
    r.git('commit', '-q', '-m', 'delete');

    const show = r.git('show', 'HEAD~2').stdout;
    expect(show).toMatch(/^-df\.plot\(\)$/m);
    expect(show).toMatch(/^\+df\.plot\(kind="bar"\)$/m);
    expect(show).not.toContain('"cell_type"');

    const log = r.git('log', '-p').stdout;
    expect(log).toMatch(/^\+.*Notes about \*\*bars\*\*/m);
    expect(log).toMatch(/^-.*Notes about \*\*bars\*\*/m);
    expect(log).not.toContain('"cell_type"');
    // hunk headers name the cell a change is in
    expect(log).toMatch(/^@@ .* @@ # %%/m);
  });

  it('shows a notebook that is not valid JSON as a plain diff, without failing git', () => {
    const r = installedRepo();
    r.write('nb.ipynb', '{ "broken": ');
    const diff = r.gitMayFail('diff');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('+{ "broken": ');
    r.git('commit', '-q', '-am', 'broken');
    const show = r.gitMayFail('show');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('+{ "broken": ');
  });
});

describe.each(HOW)('git %s through the merge driver', (how) => {
  it('combines edits to different cells cleanly', () => {
    const r = branches(
      editSource(BASE, 'load', 'import pandas as pd\ndf = pd.read_parquet("data.pq")'),
      editSource(BASE, 'plot', 'df.plot(title="x")'),
    );
    const result = integrate(r, how);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const merged = sources(r.read('nb.ipynb'));
    expect(merged).toContain('import pandas as pd\ndf = pd.read_parquet("data.pq")');
    expect(merged).toContain('df.plot(title="x")');
    expectJupyterValid(join(r.dir, 'nb.ipynb'));
  });

  it('reports a conflict on the same cell and leaves a valid notebook with both sides between markers', () => {
    const r = branches(
      editSource(BASE, 'stats', 'total = df["x"].max()\nprint(total)'),
      editSource(BASE, 'stats', 'total = df["x"].min()\nprint(total)'),
    );
    const result = integrate(r, how);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/CONFLICT \(content\).*nb\.ipynb/);
    const text = r.read('nb.ipynb');
    expectJupyterValid(join(r.dir, 'nb.ipynb'));
    const cell = sources(text).find((s) => s.includes('<<<<<<<'))!;
    expect(cell).toBeDefined();
    expect(cell).toMatch(/^<{7}.*\n[^]*max\(\)[^]*\n={7}\n[^]*min\(\)[^]*\n>{7}/m);
    expect(r.git('status', '--porcelain').stdout).toContain('UU nb.ipynb');
    expect(nbpipe(['conflicts', 'nb.ipynb'], { cwd: r.dir }).code).toBe(1);
  });

  it('reports a conflict when one side deletes a cell the other edits, keeping the edit', () => {
    const r = branches(
      BASE.filter((c) => c.id !== 'plot'),
      editSource(BASE, 'plot', 'df.plot(color="red")'),
    );
    const result = integrate(r, how);
    expect(result.code).not.toBe(0);
    expectJupyterValid(join(r.dir, 'nb.ipynb'));
    expect(r.read('nb.ipynb')).toContain('df.plot(color=\\"red\\")');
    expect(nbpipe(['conflicts', 'nb.ipynb'], { cwd: r.dir }).code).toBe(1);
  });

  it('keeps cells added on both sides', () => {
    const r = branches([...BASE, code('left-new', 'left_added = 1')], [...BASE, code('right-new', 'right_added = 2')]);
    const result = integrate(r, how);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const merged = sources(r.read('nb.ipynb'));
    expect(merged).toContain('left_added = 1');
    expect(merged).toContain('right_added = 2');
    expectJupyterValid(join(r.dir, 'nb.ipynb'));
  });

  it('clears outputs changed on both sides by default, and resets the execution count', () => {
    // Without the clean filter and the pre-commit hook, which would strip the outputs before they are committed.
    const r = branches(
      withCell(BASE, 'stats', (c) => ({ ...c, ...stream('43\n', 5) })),
      withCell(BASE, 'stats', (c) => ({ ...c, ...stream('44\n', 9) })),
      ['--no-filter', '--hooks', 'none'],
    );
    const result = integrate(r, how);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const stats = parse(r.read('nb.ipynb')).cells.find((c) => c.id === 'stats')!;
    expect(stats.cell_type === 'code' && stats.outputs).toEqual([]);
    expect(stats.cell_type === 'code' && stats.execution_count).toBeNull();
    expectJupyterValid(join(r.dir, 'nb.ipynb'));
  });
});

describe('merge driver edge cases', () => {
  it('merges notebooks added on both branches (empty base)', () => {
    const r = installedRepo();
    r.git('checkout', '-q', '-b', 'topic');
    r.commit('right', { 'both.ipynb': notebookText([code('same', 'shared = 1'), code('r', 'right = 2')]) });
    r.git('checkout', '-q', 'main');
    r.commit('left', { 'both.ipynb': notebookText([code('same', 'shared = 1'), code('l', 'left = 3')]) });
    r.gitMayFail('merge', '--no-edit', 'topic');
    expectJupyterValid(join(r.dir, 'both.ipynb'));
    const text = r.read('both.ipynb');
    expect(text).toContain('left = 3');
    expect(text).toContain('right = 2');
  });

  it("falls back to git's text merge when a side is not a readable notebook", () => {
    const r = branches(editSource(BASE, 'load', 'x = 1'), editSource(BASE, 'plot', 'df.plot(x=1)'));
    r.git('checkout', '-q', 'topic');
    r.commit('break', { 'nb.ipynb': '{ not json\n' });
    r.git('checkout', '-q', 'main');
    const result = r.gitMayFail('merge', '--no-edit', 'topic');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/nbpipe: nb\.ipynb \(theirs\): invalid JSON at line 1, column 3/);
    // git's own markers, with both versions, as without a driver
    const text = r.read('nb.ipynb');
    expect(text).toMatch(/^<{7} local$/m);
    expect(text).toContain('{ not json');
    expect(nbpipe(['conflicts', 'nb.ipynb'], { cwd: r.dir }).stdout).toMatch(/git text conflict markers/);
  });
});
