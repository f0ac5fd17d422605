// The filter's output cache through git operations that write notebooks no clean produced here (merge, rebase,
// cherry-pick, pull, stash pop): the working copy keeps the outputs of the cells the user had, loses those of the
// cells the other side changed, and committed blobs stay stripped.
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

/** A notebook of code cells `[source, printed output or undefined]`, as Jupyter writes it. */
function notebook(cells: [string, string?][]): string {
  return (
    JSON.stringify(
      {
        cells: cells.map(([source, printed], i) => ({
          cell_type: 'code',
          execution_count: printed === undefined ? null : i + 1,
          id: `cell${i}`,
          metadata: {},
          outputs: printed === undefined ? [] : [{ name: 'stdout', output_type: 'stream', text: [printed] }],
          source: [source],
        })),
        metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
        nbformat: 4,
        nbformat_minor: 5,
      },
      null,
      1,
    ) + '\n'
  );
}

/** Each cell's source and printed output ('' for none), and its execution count. */
const cellsOf = (text: string) =>
  (JSON.parse(text).cells as { source: string[]; outputs: { text: string[] }[]; execution_count: number | null }[]).map(
    (c) => [c.source.join(''), c.outputs.map((o) => o.text.join('')).join(''), c.execution_count],
  );

type Repo = ReturnType<typeof tempRepo>;

function installedRepo(): Repo {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  expect(nbpipe(['install', '--quiet', '--hooks', 'none'], { cwd: r.dir }).code).toBe(0);
  return r;
}

/** The committed blob of nb.ipynb at `rev` has no outputs and no execution counts. */
function expectStripped(r: Repo, rev = 'HEAD'): void {
  const blob = r.git('cat-file', '-p', `${rev}:nb.ipynb`).stdout;
  expect(cellsOf(blob).every(([, printed, count]) => printed === '' && count === null)).toBe(true);
}

/**
 * Branch `other` edits cell 1 (or commits `otherCells`); on main the user executes the notebook (outputs
 * everywhere), edits cell 3 and commits. Returns the repository on main.
 */
function divergedRepo(otherCells: [string, string?][] = [['a = 10'], ['b = 2'], ['c = 3']]): Repo {
  const r = installedRepo();
  r.write('nb.ipynb', notebook([['a = 1'], ['b = 2'], ['c = 3']]));
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'notebook');
  r.git('checkout', '-q', '-b', 'other');
  r.write('nb.ipynb', notebook(otherCells));
  r.git('commit', '-q', '-a', '-m', 'other');
  r.git('checkout', '-q', 'main');
  r.write(
    'nb.ipynb',
    notebook([
      ['a = 1', 'A'],
      ['b = 2', 'B'],
      ['c = 30', 'C'],
    ]),
  );
  r.git('commit', '-q', '-a', '-m', 'main: c = 30');
  return r;
}

/** Cell 1 changed by the other side: no outputs; cells 2 and 3 as the user had them. */
const MERGED = [
  ['a = 10', '', null],
  ['b = 2', 'B', 2],
  ['c = 30', 'C', 3],
];

describe('outputs through git operations that combine commits', () => {
  it.each([
    ['merge', ['merge', '-q', '--no-edit', 'other']],
    ['rebase', ['rebase', '-q', 'other']],
  ])('%s keeps the outputs of the cells the user had', (_, command) => {
    const r = divergedRepo();
    r.git(...command);
    expect(cellsOf(r.read('nb.ipynb'))).toEqual(MERGED);
    expectStripped(r);
    expect(r.git('status', '--porcelain').stdout).toBe('');
    // Checking out back and forth gives the same working copy again.
    const merged = r.read('nb.ipynb');
    r.git('checkout', '-q', 'HEAD~1');
    r.git('checkout', '-q', '-');
    expect(r.read('nb.ipynb')).toBe(merged);
  });

  it('cherry-pick keeps the outputs of the cells the user had', () => {
    const r = divergedRepo();
    r.git('cherry-pick', 'other');
    expect(cellsOf(r.read('nb.ipynb'))).toEqual(MERGED);
    expectStripped(r);
    expect(r.git('status', '--porcelain').stdout).toBe('');
  });

  it('a conflicted merge keeps the outputs of the cells neither side touched', () => {
    const r = divergedRepo([['a = 1'], ['b = 2'], ['c = 300']]);
    // Both sides changed cell 3: the merge driver writes conflict markers into it and git stops.
    expect(run('git', ['merge', '-q', 'other'], { cwd: r.dir, allowFailure: true }).code).toBe(1);
    const cells = cellsOf(r.read('nb.ipynb'));
    expect(cells.slice(0, 2)).toEqual([
      ['a = 1', 'A', 1],
      ['b = 2', 'B', 2],
    ]);
    expect(cells[2]![0]).toMatch(/^<<<<<<< /m);
    expect(cells[2]!.slice(1)).toEqual(['', null]);
  });
});

describe('outputs through a pull from a teammate', () => {
  it.each([['--no-rebase'], ['--rebase']])('pull %s keeps the outputs of the cells the user had', (mode) => {
    const { dir, cleanup } = tempDir('nbpipe-remote-');
    removeAfterTest(cleanup);
    run('git', ['init', '-q', '--bare', '-b', 'main', `${dir}/remote.git`]);
    const mine = installedRepo();
    mine.write('nb.ipynb', notebook([['a = 1'], ['b = 2'], ['c = 3']]));
    mine.git('add', '.');
    mine.git('commit', '-q', '-m', 'notebook');
    mine.git('remote', 'add', 'origin', `${dir}/remote.git`);
    mine.git('push', '-q', '-u', 'origin', 'main');

    const teammate = tempRepo();
    removeAfterTest(teammate.cleanup);
    teammate.git('remote', 'add', 'origin', `${dir}/remote.git`);
    teammate.git('pull', '-q', 'origin', 'main');
    expect(nbpipe(['install', '--quiet', '--hooks', 'none'], { cwd: teammate.dir }).code).toBe(0);
    teammate.write(
      'nb.ipynb',
      notebook([
        ['a = 10', 'their output'],
        ['b = 2', 'theirs'],
        ['c = 3', 'theirs'],
      ]),
    );
    teammate.git('commit', '-q', '-a', '-m', 'teammate: a = 10');
    teammate.git('push', '-q', 'origin', 'HEAD:main');

    mine.write(
      'nb.ipynb',
      notebook([
        ['a = 1', 'A'],
        ['b = 2', 'B'],
        ['c = 30', 'C'],
      ]),
    );
    mine.git('commit', '-q', '-a', '-m', 'main: c = 30');
    mine.git('pull', '-q', mode, '--no-edit');
    expect(cellsOf(mine.read('nb.ipynb'))).toEqual(MERGED);
    expectStripped(mine);
    expectStripped(mine, 'origin/main');
    expect(mine.git('status', '--porcelain').stdout).toBe('');
  });
});

describe('outputs through the stash', () => {
  it('stash pop onto other changes keeps the outputs of the cells the user had', () => {
    const r = divergedRepo();
    r.git('reset', '-q', '--hard', 'HEAD~1');
    r.write(
      'nb.ipynb',
      notebook([
        ['a = 1', 'A'],
        ['b = 2', 'B'],
        ['c = 30', 'C'],
      ]),
    );
    r.git('stash', '-q');
    r.git('merge', '-q', 'other');
    r.git('stash', 'pop', '-q');
    expect(cellsOf(r.read('nb.ipynb'))).toEqual(MERGED);
    expectStripped(r);
  });

  it('two notebooks with the same code keep their own outputs', () => {
    const r = installedRepo();
    const code = (month: string, printed?: string): [string, string?][] => [
      ['import pandas'],
      [`report(${month})`, printed],
    ];
    r.write('2026-01.ipynb', notebook(code('month')));
    r.write('2026-02.ipynb', notebook(code('month')));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'monthly reports');
    // The same edit in both, each run on its own month.
    const january = notebook(code('month, draft=True', 'January'));
    const february = notebook(code('month, draft=True', 'February'));
    r.write('2026-01.ipynb', january);
    r.write('2026-02.ipynb', february);
    r.git('stash', '-q');
    r.git('stash', 'pop', '-q');
    expect(r.read('2026-01.ipynb')).toBe(january);
    expect(r.read('2026-02.ipynb')).toBe(february);
  });
});

describe("the output cache's size", () => {
  it('follows git config nbpipe.outputCacheSize', () => {
    const r = installedRepo();
    r.git('config', 'nbpipe.outputCacheSize', '4k');
    const cacheDir = join(r.dir, '.git', 'nbpipe', 'outputs');
    const cacheBytes = () => readdirSync(cacheDir).reduce((sum, name) => sum + statSync(join(cacheDir, name)).size, 0);
    // Random bytes in base64 compress little: each of these notebooks takes about 2.3 kB in the cache.
    for (const name of ['a', 'b', 'c']) {
      r.write(`${name}.ipynb`, notebook([['print(data)', randomBytes(2_250).toString('base64')]]));
      r.git('add', `${name}.ipynb`);
      expect(cacheBytes()).toBeLessThanOrEqual(4_000);
    }
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });
});
