// Hooks end to end with real git: `nbpipe pre-commit` (pairs synced and staged, partial staging respected,
// disagreeing pairs refused, notebooks stripped when the filter is off), git hooks chained and restored,
// core.hooksPath, post-checkout reports and husky (the pre-commit framework: test/pre-commit-framework.test.ts).
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, CORPORA, ROOT, nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

const corpus = (name: string) => readFileSync(join(CORPORA, 'nbstripout', name), 'utf8');
const WITH_OUTPUTS = corpus('test_metadata.ipynb');
const STRIPPED = corpus('test_metadata.ipynb.expected');

function repo() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  return r;
}

/** A folder with an `nbpipe` executable running the built CLI, for PATH. */
function nbpipeOnPath(): string {
  const t = tempDir('nbpipe-bin-');
  removeAfterTest(t.cleanup);
  writeFileSync(join(t.dir, 'nbpipe'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(t.dir, 'nbpipe'), 0o755);
  return t.dir;
}

const notebook = (cells: { source: string; output?: string }[]) =>
  JSON.stringify(
    {
      cells: cells.map(({ source, output }, i) => ({
        cell_type: 'code',
        execution_count: output ? i + 1 : null,
        id: `c${i}`,
        metadata: {},
        outputs: output ? [{ output_type: 'stream', name: 'stdout', text: [output] }] : [],
        source: [source],
      })),
      metadata: {
        kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
        language_info: { name: 'python' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + '\n';

/** A repository with nbpipe installed, a project pairing, and a committed pair a.ipynb ⇄ a.py. */
function pairedRepo() {
  const r = repo();
  expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
  r.write('.nbpiperc.json', JSON.stringify({ pairing: 'ipynb,py:percent' }));
  r.write(
    'a.ipynb',
    notebook([
      { source: 'x = 1', output: 'one\n' },
      { source: 'print(x)', output: '1\n' },
    ]),
  );
  expect(nbpipe(['sync', 'a.ipynb'], { cwd: r.dir }).code).toBe(0);
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'pair');
  return r;
}

describe('nbpipe pre-commit', () => {
  it('git commit -- <path>: the synced partner is committed and staged, so git status is clean afterwards', () => {
    const r = pairedRepo();
    r.write('a.py', r.read('a.py').replace('print(x)', 'print(x * 2)'));
    const commit = r.git('commit', '-q', '-m', 'only a.py', '--', 'a.py');
    expect(commit.code, commit.stderr).toBe(0);
    expect(r.git('show', 'HEAD:a.ipynb').stdout).toContain('print(x * 2)');
    expect(r.git('status', '--porcelain').stdout).toBe('');
    expect(r.git('diff', '--cached', '--name-only').stdout).toBe('');
  });

  it('says nothing of an empty text file no notebook pairs with (an __init__.py), and still refuses to sync an emptied partner', () => {
    const r = pairedRepo();
    mkdirSync(join(r.dir, 'pkg'));
    r.write('pkg/__init__.py', '');
    r.git('add', 'pkg/__init__.py');
    const lone = r.git('commit', '-q', '-m', 'package');
    expect(lone.code).toBe(0);
    expect(lone.stderr).toBe('');
    r.write('a.py', '');
    r.git('add', 'a.py');
    const emptied = r.git('commit', '-q', '-m', 'emptied');
    expect(emptied.stderr).toMatch(/a\.py: file is empty; not synced/);
    expect(r.git('show', 'HEAD:a.ipynb').stdout).toContain('print(x)');
  });

  it('stages the synced partner of a staged file; unstaged edits are neither committed nor lost', () => {
    const r = pairedRepo();
    r.write('a.py', r.read('a.py').replace('print(x)', 'print(x + 1)'));
    r.git('add', 'a.py');
    const unstaged = r.read('a.py') + '\n# %%\nprint("not yet")\n';
    r.write('a.py', unstaged);
    const commit = r.git('commit', '-q', '-m', 'edit');
    expect(commit.stderr).toMatch(/synced from a\.py, staged a\.ipynb/);
    expect(r.git('show', 'HEAD:a.py').stdout).not.toContain('not yet');
    expect(r.git('show', 'HEAD:a.ipynb').stdout).toContain('print(x + 1)');
    expect(r.git('show', 'HEAD:a.ipynb').stdout).not.toContain('not yet');
    expect(r.read('a.py')).toBe(unstaged);
    // The working-tree notebook follows, keeping the output of the unchanged cell.
    const wt = JSON.parse(r.read('a.ipynb'));
    expect(wt.cells[1].source.join('')).toBe('print(x + 1)');
    expect(wt.cells[0].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['one\n'] }]);
    expect(r.git('status', '--porcelain').stdout).toBe(' M a.py\n');
  });

  it('refuses the commit when both members of a pair were edited in ways that disagree', () => {
    const r = pairedRepo();
    r.write('a.py', r.read('a.py').replace('x = 1', 'x = 2'));
    const nb = JSON.parse(r.read('a.ipynb'));
    nb.cells[0].source = ['x = 3'];
    r.write('a.ipynb', JSON.stringify(nb, null, 1) + '\n');
    r.git('add', 'a.py', 'a.ipynb');
    const commit = run('git', ['commit', '-q', '-m', 'both'], { cwd: r.dir, allowFailure: true });
    expect(commit.code).toBe(1);
    const head = r.git('log', '--format=%s', '-1').stdout.trim();
    expect(head).toBe('pair');
    expect(commit.stderr).toMatch(/commit stopped: a\.py and a\.ipynb both changed their cells/);
  });

  it('after switching branches, a notebook edit commits: the record of the other branch makes no conflict', () => {
    const r = pairedRepo();
    r.git('switch', '-q', '-c', 'other');
    r.write('a.py', r.read('a.py').replace('print(x)', 'print(x * 10)'));
    expect(run('git', ['commit', '-q', '-am', 'on other'], { cwd: r.dir }).stderr).toMatch(
      /synced from a\.py, staged a\.ipynb/,
    );
    r.git('switch', '-q', 'main');
    const nb = JSON.parse(r.read('a.ipynb'));
    nb.cells[0].source = ['x = 5'];
    r.write('a.ipynb', JSON.stringify(nb, null, 1) + '\n');
    const commit = run('git', ['commit', '-q', '-am', 'edit on main'], { cwd: r.dir, allowFailure: true });
    expect(commit.stderr).not.toMatch(/both changed/);
    expect(commit.code).toBe(0);
    expect(r.git('log', '--format=%s', '-1').stdout.trim()).toBe('edit on main');
    const py = r.git('show', 'HEAD:a.py').stdout;
    expect(py).toContain('x = 5');
    expect(py).toContain('print(x)\n');
    expect(r.read('a.py')).toBe(py);
    expect(r.git('status', '--porcelain').stdout).toBe('');
  });

  it('strips staged notebooks when the filter is off, keeping the outputs in the working copy', () => {
    const r = repo();
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    r.git('config', '--unset', 'filter.nbpipe.process');
    r.git('config', '--unset', 'filter.nbpipe.clean');
    r.write('a.ipynb', WITH_OUTPUTS);
    r.git('add', '.');
    const commit = r.git('commit', '-q', '-m', 'x');
    expect(commit.stderr).toMatch(/stripped outputs from the staged a\.ipynb/);
    expect(r.git('show', 'HEAD:a.ipynb').stdout).toBe(STRIPPED);
    expect(r.read('a.ipynb')).toBe(WITH_OUTPUTS);
  });
});

describe('git hooks', () => {
  it('chain to an existing hook, and uninstall puts it back', () => {
    const r = repo();
    const own = '#!/bin/sh\necho "own hook ran" >&2\n';
    r.write('.git/hooks/pre-commit', own);
    chmodSync(join(r.dir, '.git/hooks/pre-commit'), 0o755);
    const install = nbpipe(['install'], { cwd: r.dir });
    expect(install.stdout).toMatch(/kept the existing hook as pre-commit\.pre-nbpipe/);
    r.write('a.ipynb', WITH_OUTPUTS);
    r.git('add', '.');
    expect(r.git('commit', '-q', '-m', 'x').stderr).toContain('own hook ran');
    expect(nbpipe(['doctor'], { cwd: r.dir }).code).toBe(0);
    expect(nbpipe(['uninstall', '--quiet'], { cwd: r.dir }).code).toBe(0);
    expect(r.read('.git/hooks/pre-commit')).toBe(own);
    expect(existsSync(join(r.dir, '.git/hooks/post-checkout'))).toBe(false);
    expect(run('git', ['config', '--get-regexp', 'nbpipe'], { cwd: r.dir, allowFailure: true }).stdout).toBe('');
  });

  it('go where core.hooksPath points', () => {
    const r = repo();
    r.git('config', 'core.hooksPath', '.githooks');
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    expect(readFileSync(join(r.dir, '.githooks/pre-commit'), 'utf8')).toContain('pre-commit');
  });

  it('post-checkout reports pipeline status after a branch checkout and never fails it', () => {
    const r = repo();
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    r.write('README.md', 'x\n');
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'x');
    r.git('branch', 'other');
    expect(r.git('checkout', '-q', 'other').stdout).toBe(''); // no pipeline.yaml: silent
    r.write('pipeline.yaml', 'not: [a, pipeline\n');
    const checkout = r.git('checkout', '-q', 'main');
    expect(checkout.code).toBe(0);
    expect(checkout.stderr).toMatch(/pipeline\.yaml/); // `nbpipe status` ran and complained; the checkout went ahead
  });

  it('--hooks none installs no hooks', () => {
    const r = repo();
    expect(nbpipe(['install', '--quiet', '--hooks', 'none'], { cwd: r.dir }).code).toBe(0);
    expect(existsSync(join(r.dir, '.git/hooks/pre-commit'))).toBe(false);
    expect(nbpipe(['doctor'], { cwd: r.dir }).stdout).toMatch(/hooks: none/);
  });
});

describe('husky', () => {
  it('nbpipe install adds its lines to .husky/ and commits run them through husky', () => {
    const r = repo();
    r.write('package.json', JSON.stringify({ name: 'demo', private: true }, null, 2) + '\n');
    cpSync(join(ROOT, 'node_modules/husky'), join(r.dir, 'node_modules/husky'), { recursive: true });
    mkdirSync(join(r.dir, 'node_modules/.bin'));
    symlinkSync(join(nbpipeOnPath(), 'nbpipe'), join(r.dir, 'node_modules/.bin/nbpipe'));
    run(process.execPath, ['node_modules/husky/bin.js', 'init'], { cwd: r.dir });
    expect(r.git('config', 'core.hooksPath').stdout.trim()).toBe('.husky/_');
    r.write('.husky/pre-commit', 'echo "project hook ran" >&2\n');

    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0); // husky detected
    expect(r.read('.husky/pre-commit')).toMatch(
      /^echo "project hook ran" >&2\n# >>> nbpipe[^\n]*\n.*nbpipe pre-commit/s,
    );
    expect(existsSync(join(r.dir, '.git/hooks/pre-commit'))).toBe(false);
    expect(nbpipe(['doctor'], { cwd: r.dir }).code).toBe(0);

    // With the filter off, only the hook can strip: a stripped commit proves husky ran nbpipe.
    r.git('config', '--unset', 'filter.nbpipe.process');
    r.git('config', '--unset', 'filter.nbpipe.clean');
    r.write('.gitignore', 'node_modules/\n');
    r.write('a.ipynb', WITH_OUTPUTS);
    r.git('add', '.');
    const commit = r.git('commit', '-q', '-m', 'through husky');
    expect(commit.stderr).toContain('project hook ran');
    expect(r.git('show', 'HEAD:a.ipynb').stdout).toBe(STRIPPED);

    expect(nbpipe(['uninstall', '--quiet'], { cwd: r.dir }).code).toBe(0);
    expect(r.read('.husky/pre-commit')).toBe('echo "project hook ran" >&2\n');
  });
});
