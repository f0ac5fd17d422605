import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CORPORA, nbpipe, tempRepo } from './helpers.js';

type Repo = ReturnType<typeof tempRepo>;
let repo: Repo | undefined;
afterEach(() => repo?.cleanup());

// No jupytext configuration above the temp folders may leak into these tests.
const env = { JUPYTEXT_CEILING_DIRECTORIES: '/tmp' };
const run = (args: string[]) => nbpipe(args, { cwd: repo!.dir, env });

interface Cell {
  cell_type: string;
  source: string | string[];
  id?: string;
  execution_count?: number | null;
  outputs?: unknown[];
  metadata: Record<string, unknown>;
}
const text = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);
const readNb = (path: string) => JSON.parse(repo!.read(path)) as { cells: Cell[]; metadata: Record<string, any> };
const sources = (path: string) => readNb(path).cells.map((c) => text(c.source));
const cellWith = (path: string, source: string) => readNb(path).cells.find((c) => text(c.source) === source)!;

/** Set a file's modification time, seconds after an arbitrary start, so that "newest" is unambiguous. */
let clock = 1_700_000_000;
function touch(path: string): void {
  clock += 10;
  utimesSync(join(repo!.dir, path), clock, clock);
}
function write(path: string, content: string): void {
  repo!.write(path, content);
  touch(path);
}

function ran(source: string, id: string, count: number, output: string) {
  return {
    cell_type: 'code',
    execution_count: count,
    id,
    metadata: { ExecuteTime: { end_time: '2024-01-01T00:00:00' } },
    outputs: [{ name: 'stdout', output_type: 'stream', text: [output] }],
    source: [source],
  };
}

function notebookJson(cells: unknown[], metadata: Record<string, unknown> = {}): string {
  return (
    JSON.stringify(
      {
        cells,
        metadata: {
          kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
          language_info: { name: 'python' },
          ...metadata,
        },
        nbformat: 4,
        nbformat_minor: 5,
      },
      null,
      1,
    ) + '\n'
  );
}

const RUN_NOTEBOOK = notebookJson([
  { cell_type: 'markdown', id: 'md-title', metadata: {}, source: ['# Title'] },
  ran('a = 1', 'cell-a', 1, 'a\n'),
  ran('print(a)', 'cell-print', 2, '1\n'),
  ran('b = 2', 'cell-b', 3, 'b\n'),
  ran('c = 3', 'cell-c', 4, 'c\n'),
  { cell_type: 'markdown', id: 'md-end', metadata: {}, source: ['The end'] },
]);

/** A percent script as its header and cell chunks (each chunk starts with its `# %%` line). */
function percentCells(script: string): { header: string; cells: string[] } {
  const [header, ...cells] = script.split(/^(?=# %%)/m);
  return { header: header!, cells: cells.map((c) => c.replace(/\n*$/, '\n')) };
}
const joinPercent = (header: string, cells: string[]) => header + cells.join('\n');

describe('nbpipe pair and sync in a git repository', () => {
  it('keeps the outputs of unchanged cells when the script is edited, and follows the notebook when it is', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    const paired = run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']);
    expect(paired.stderr).toContain('nb.py');
    expect(paired.code).toBe(0);
    expect(readNb('nb.ipynb').metadata.jupytext).toEqual({ formats: 'ipynb,py:percent' });
    expect(cellWith('nb.ipynb', 'a = 1').outputs).toHaveLength(1);
    const script = repo.read('nb.py');
    expect(script).toContain('#     formats: ipynb,py:percent');
    expect(script).toContain('# %%\nprint(a)\n');
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'paired');
    expect(run(['sync', '--check', 'nb.py']).code).toBe(0);

    // Edit the script: insert a cell, delete one, edit one, move one.
    const { header, cells } = percentCells(script);
    const [title, a, print, , c, end] = cells;
    const edited = joinPercent(header, [title!, '# %%\nd = 4\n', a!, c!.replace('c = 3', 'c = 30'), end!, print!]);
    touch('nb.ipynb');
    write('nb.py', edited);
    const check = run(['sync', '--check', 'nb.py']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('nb.ipynb');
    const synced = run(['sync', 'nb.py']);
    expect(synced.stderr).toContain('updated nb.ipynb');
    expect(synced.code).toBe(0);
    expect(repo.read('nb.py')).toBe(edited);
    expect(sources('nb.ipynb')).toEqual(['# Title', 'd = 4', 'a = 1', 'c = 30', 'The end', 'print(a)']);
    const after = readNb('nb.ipynb');
    const [, d, keptA, editedC, , movedPrint] = after.cells;
    expect(keptA).toMatchObject({
      id: 'cell-a',
      execution_count: 1,
      outputs: [{ text: ['a\n'] }],
      metadata: { ExecuteTime: { end_time: '2024-01-01T00:00:00' } },
    });
    expect(movedPrint).toMatchObject({ id: 'cell-print', execution_count: 2, outputs: [{ text: ['1\n'] }] });
    expect(editedC).toMatchObject({ id: 'cell-c', execution_count: null, outputs: [] });
    expect(d).toMatchObject({ execution_count: null, outputs: [] });
    expect(after.cells.map((c) => c.id)).not.toContain('cell-b');
    expect(after.metadata.language_info).toEqual({ name: 'python' });
    expect(run(['sync', '--check', 'nb.py']).code).toBe(0);
    expect(run(['sync', '--check', 'nb.ipynb']).code).toBe(0);

    // Edit the notebook: the script follows.
    const nb = readNb('nb.ipynb');
    nb.cells[0]!.source = ['# A better title'];
    write('nb.ipynb', JSON.stringify(nb, null, 1) + '\n');
    const before = repo.read('nb.py');
    expect(run(['sync', '--check', 'nb.ipynb']).code).toBe(1);
    expect(repo.read('nb.py')).toBe(before);
    expect(run(['sync', 'nb.ipynb']).code).toBe(0);
    expect(repo.read('nb.py')).toContain('# %% [markdown]\n# # A better title\n');
    expect(repo.read('nb.py')).toContain('# %%\nd = 4\n');
    expect(run(['sync', '--check', 'nb.ipynb', 'nb.py']).code).toBe(0);
  });

  it('reports a pair whose two sides both changed their cells since the last sync, and writes nothing', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']).code).toBe(0);
    // Edit the notebook's cells, then (later) the script's.
    const nb = readNb('nb.ipynb');
    nb.cells[1]!.source = ['a = 100'];
    write('nb.ipynb', JSON.stringify(nb, null, 1) + '\n');
    write('nb.py', repo.read('nb.py').replace('b = 2', 'b = 200'));
    const ipynbBefore = repo.read('nb.ipynb');
    const pyBefore = repo.read('nb.py');
    for (const args of [
      ['sync', 'nb.py'],
      ['sync', '--check', 'nb.ipynb'],
    ]) {
      const r = run(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/conflict: nb\.py and nb\.ipynb both changed their cells since the last sync/);
    }
    expect(repo.read('nb.ipynb')).toBe(ipynbBefore);
    expect(repo.read('nb.py')).toBe(pyBefore);
    // Resolving by keeping the text: the notebook takes its cells, and keeps the outputs of the others.
    expect(run(['sync', '--prefer', 'text', 'nb.py']).code).toBe(0);
    expect(sources('nb.ipynb')).toContain('b = 200');
    expect(sources('nb.ipynb')).toContain('a = 1');
    expect(cellWith('nb.ipynb', 'print(a)').outputs).toHaveLength(1);
    expect(run(['sync', '--check', 'nb.py']).code).toBe(0);
  });

  it('knows the last sync from the last commit when it has no record of its own (a fresh clone)', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']).code).toBe(0);
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'paired');
    rmSync(join(repo.dir, '.git/nbpipe'), { recursive: true, force: true });
    // Only the script changed since the commit: it is the source even though the notebook is newer.
    write('nb.py', repo.read('nb.py').replace('b = 2', 'b = 20'));
    const nb = readNb('nb.ipynb');
    nb.cells[2]!.outputs = [];
    write('nb.ipynb', JSON.stringify(nb, null, 1) + '\n');
    expect(run(['sync', 'nb.ipynb']).code).toBe(0);
    expect(sources('nb.ipynb')).toContain('b = 20');
    // Both changed since the commit, differently: a conflict.
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'synced');
    rmSync(join(repo.dir, '.git/nbpipe'), { recursive: true, force: true });
    const again = readNb('nb.ipynb');
    again.cells[1]!.source = ['a = -1'];
    write('nb.ipynb', JSON.stringify(again, null, 1) + '\n');
    write('nb.py', repo.read('nb.py').replace('c = 3', 'c = -3'));
    expect(run(['sync', 'nb.py']).code).toBe(1);
  });

  it('refuses to pair over an existing file with other cells unless forced', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    write('nb.py', '# %%\nsomething = "else"\n');
    const r = run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('nb.py already exists with cells that differ from nb.ipynb');
    expect(repo.read('nb.py')).toBe('# %%\nsomething = "else"\n');
    expect(readNb('nb.ipynb').metadata.jupytext).toBeUndefined();
    expect(run(['pair', '--force', 'nb.ipynb', '--formats', 'ipynb,py:percent']).code).toBe(0);
    expect(repo.read('nb.py')).toContain('print(a)');
  });

  it('re-pairs a notebook in another format, and unpairs it with a single format', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:light']).code).toBe(0);
    expect(repo.read('nb.py')).not.toContain('# %%');
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']).code).toBe(0);
    expect(repo.read('nb.py')).toContain('# %%\nprint(a)\n');
    expect(readNb('nb.ipynb').metadata.jupytext).toEqual({ formats: 'ipynb,py:percent' });
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb']).code).toBe(0);
    expect(readNb('nb.ipynb').metadata.jupytext).toEqual({ formats: 'ipynb' });
    const r = run(['sync', 'nb.ipynb']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nb.ipynb is not paired');
  });

  it('pairs from a script: the new .ipynb gets its cells', () => {
    repo = tempRepo();
    write('scripts/analysis.py', '# %% [markdown]\n# Analysis\n\n# %%\nx = 1\n');
    const r = run(['pair', 'scripts/analysis.py', '--formats', 'notebooks///ipynb,scripts///py:percent']);
    expect(r.code).toBe(0);
    expect(sources('notebooks/analysis.ipynb')).toEqual(['Analysis', 'x = 1']);
    expect(readNb('notebooks/analysis.ipynb').metadata.jupytext.formats).toBe('notebooks///ipynb,scripts///py:percent');
    expect(repo.read('scripts/analysis.py')).toContain('#     formats: notebooks///ipynb,scripts///py:percent');
  });

  it("honours jupytext.toml and pyproject.toml [tool.jupytext], and nbpipe's own pairing first", () => {
    repo = tempRepo();
    write('jupytext.toml', 'formats = "ipynb,py:percent"\nnotebook_metadata_filter = "-all"\n');
    write('nb.ipynb', RUN_NOTEBOOK);
    expect(run(['sync', 'nb.ipynb']).code).toBe(0);
    // The project's pairing is not recorded in the notebook; the metadata filter applies to the script.
    expect(readNb('nb.ipynb').metadata.jupytext).toBeUndefined();
    expect(repo.read('nb.py').startsWith('# %% [markdown]\n# # Title\n')).toBe(true);
    expect(run(['sync', '--check', 'nb.py']).code).toBe(0);
    // A plain script that is not in the percent format is not taken for a paired notebook (jupytext #1418).
    write('util.py', 'def f():\n    return 1\n');
    const plain = run(['sync', 'util.py']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('util.py is not paired');
    expect(existsSync(join(repo.dir, 'util.ipynb'))).toBe(false);

    write(
      'sub/pyproject.toml',
      '[project]\nname = "x"\n\n[tool.jupytext.formats]\n"notebooks/" = "ipynb"\n"scripts/" = "py:percent"\n',
    );
    write('sub/notebooks/deep/t.ipynb', RUN_NOTEBOOK);
    expect(run(['sync', 'sub/notebooks/deep/t.ipynb']).code).toBe(0);
    expect(repo.read('sub/scripts/deep/t.py')).toContain('print(a)');

    write('.nbpiperc.json', '{"pairing": "ipynb,md"}\n');
    write('other.ipynb', RUN_NOTEBOOK);
    expect(run(['sync', 'other.ipynb']).code).toBe(0);
    expect(existsSync(join(repo.dir, 'other.md'))).toBe(true);
    expect(existsSync(join(repo.dir, 'other.py'))).toBe(false);
  });

  it('finds pairs written by jupytext in step, whichever file is newer, and leaves them alone', () => {
    repo = tempRepo();
    write('jupytext.toml', 'formats = "ipynb,py:percent"\n');
    const inputs = join(CORPORA, 'jupytext/inputs/ipynb_py');
    const outputs = join(CORPORA, 'jupytext/outputs/ipynb_to_percent');
    const stems = readdirSync(inputs)
      .filter((f) => f.endsWith('.ipynb') && existsSync(join(outputs, basename(f, '.ipynb') + '.py')))
      .map((f) => basename(f, '.ipynb'));
    expect(stems.length).toBeGreaterThan(10);
    for (const stem of stems) {
      copyFileSync(join(inputs, `${stem}.ipynb`), join(repo.dir, `${stem}.ipynb`));
      copyFileSync(join(outputs, `${stem}.py`), join(repo.dir, `${stem}.py`));
    }
    const snapshot = () => stems.map((s) => repo!.read(`${s}.ipynb`) + repo!.read(`${s}.py`));
    const before = snapshot();
    for (const newer of ['py', 'ipynb']) {
      for (const stem of stems) {
        touch(`${stem}.${newer === 'py' ? 'ipynb' : 'py'}`);
        touch(`${stem}.${newer}`);
      }
      const r = run(['sync', ...stems.map((s) => `${s}.ipynb`)]);
      expect(r.stderr).not.toContain('updated');
      expect(r.code).toBe(0);
      expect(snapshot()).toEqual(before);
    }
  });

  it('reports bad input in one line, exit 2, and writes nothing', () => {
    repo = tempRepo();
    write('nb.ipynb', RUN_NOTEBOOK);
    expect(run(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent']).code).toBe(0);
    const script = repo.read('nb.py');
    write('nb.ipynb', RUN_NOTEBOOK.slice(0, 200));
    touch('nb.ipynb');
    const broken = run(['sync', 'nb.py']);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toMatch(/nb\.ipynb: invalid JSON at line \d+, column \d+/);
    expect(repo.read('nb.py')).toBe(script);

    const unknown = run(['pair', 'nb.py', '--formats', 'ipynb,py:nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('py:nosuch');
    const missing = run(['sync', 'missing.py']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.py');
    expect(readFileSync(join(repo.dir, 'nb.py'), 'utf8')).toBe(script);
  });
});
