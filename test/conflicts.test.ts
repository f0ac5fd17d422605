// Finishing a conflicted merge of a pair (a.ipynb ⇄ a.py) end to end, with real git in a repository set up by
// `nbpipe install`: both files carry the same markers, the pre-commit hook keeps the member the user resolved and
// regenerates the other, refuses when it cannot tell which with the commands that finish, never commits a marker;
// `nbpipe sync` never syncs from a conflicted member; `nbpipe conflicts` lists what is left, with and without paths.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, run, tempRepo } from './helpers.js';

const notebook = (sources: string[]) =>
  JSON.stringify(
    {
      cells: sources.map((source, i) => ({
        cell_type: 'code',
        execution_count: null,
        id: `c${i}`,
        metadata: {},
        outputs: [],
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

/** The first cell's source as Jupyter would show it. */
const firstCell = (text: string) =>
  [(JSON.parse(text) as { cells: { source: string[] }[] }).cells[0]!.source].flat().join('');

/** What Jupyter does when the user edits the first cell and saves. */
const withFirstCell = (text: string, source: string) => {
  const nb = JSON.parse(text) as { cells: { source: string[] }[] };
  nb.cells[0]!.source = [source];
  return JSON.stringify(nb, null, 1) + '\n';
};

/** git's conflict block in the script replaced by `lines`. */
const resolvedScript = (text: string, lines: string) => text.replace(/^<{7} [^]*?^>{7} .*\n/m, lines);

/**
 * A pair a.ipynb ⇄ a.py committed with `x = 1`; branch `other` sets `x = 3` and main `x = 2`, both through the
 * script (each commit syncs the notebook); `git merge other` leaves both members conflicted.
 */
function conflictedPair() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
  r.write('.nbpiperc.json', JSON.stringify({ pairing: 'ipynb,py:percent' }));
  r.write('a.ipynb', notebook(['x = 1', 'print(x)']));
  expect(nbpipe(['sync', 'a.ipynb'], { cwd: r.dir }).code).toBe(0);
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'pair');
  r.git('switch', '-q', '-c', 'other');
  r.write('a.py', r.read('a.py').replace('x = 1', 'x = 3'));
  r.git('commit', '-q', '-am', 'theirs');
  r.git('switch', '-q', 'main');
  r.write('a.py', r.read('a.py').replace('x = 1', 'x = 2'));
  r.git('commit', '-q', '-am', 'ours');
  expect(gitMayFail(r.dir, 'merge', 'other').code).toBe(1);
  expect(r.git('diff', '--name-only', '--diff-filter=U').stdout).toBe('a.ipynb\na.py\n');
  return r;
}

/** git, allowed to fail (the hook may refuse a commit). */
const gitMayFail = (cwd: string, ...args: string[]) =>
  run('git', args, { cwd, allowFailure: true, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });

/** What the README says to run once the pair is resolved. */
function commit(r: ReturnType<typeof conflictedPair>) {
  r.git('add', 'a.ipynb', 'a.py');
  return gitMayFail(r.dir, 'commit', '--no-edit');
}

function expectCommitted(r: ReturnType<typeof conflictedPair>, value: string) {
  for (const text of [r.git('show', 'HEAD:a.py').stdout, r.read('a.py')]) {
    expect(text).toContain(`\n${value}\n`);
    expect(text).not.toMatch(/^[<>]{7}/m);
  }
  for (const text of [r.git('show', 'HEAD:a.ipynb').stdout, r.read('a.ipynb')]) expect(firstCell(text)).toBe(value);
  expect(r.git('log', '-1', '--format=%P').stdout.trim().split(' ')).toHaveLength(2);
  expect(r.git('status', '--porcelain').stdout).toBe('');
}

describe('a conflicted pair', () => {
  it('carries the same markers in both members: HEAD and the merged branch', () => {
    const r = conflictedPair();
    expect(r.read('a.py')).toMatch(/^<{7} HEAD\nx = 2\n={7}\nx = 3\n>{7} other$/m);
    expect(firstCell(r.read('a.ipynb'))).toBe('<<<<<<< HEAD\nx = 2\n=======\nx = 3\n>>>>>>> other');
  });

  // How the user resolved: where, the member edited, the other member, the value kept.
  it.each([
    ['in the notebook to our side', 'a.ipynb', 'a.py', 'x = 2'],
    ['in the script to their side', 'a.py', 'a.ipynb', 'x = 3'],
    ['in the notebook to a value neither side had', 'a.ipynb', 'a.py', 'x = 5'],
  ])('resolved %s: the commit keeps %s and regenerates %s from it', (_how, member, other, value) => {
    const r = conflictedPair();
    r.write(
      member,
      member === 'a.py' ? resolvedScript(r.read(member), `${value}\n`) : withFirstCell(r.read(member), value),
    );
    const c = commit(r);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain(`synced from ${member}, staged ${other}`);
    expectCommitted(r, value);
  });

  it('both still conflicted: the commit is refused with the commands that finish, and nothing is committed or lost', () => {
    const r = conflictedPair();
    const before = { py: r.read('a.py'), ipynb: r.read('a.ipynb') };
    const c = commit(r);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('a.py (line 15: conflict markers)');
    expect(c.stderr).toContain('a.ipynb (cell 0 (source): conflict markers in the source (line 1))');
    expect(c.stderr).toContain(
      '`nbpipe sync --prefer notebook a.ipynb && git add a.ipynb a.py && git commit --no-edit`',
    );
    expect(r.git('log', '-1', '--format=%s').stdout.trim()).toBe('ours');
    expect(existsSync(join(r.dir, '.git', 'MERGE_HEAD'))).toBe(true);
    expect(r.read('a.py')).toBe(before.py);
    expect(r.read('a.ipynb')).toBe(before.ipynb);

    // The commands it gives finish the merge once one member is resolved.
    r.write('a.ipynb', withFirstCell(r.read('a.ipynb'), 'x = 3'));
    expect(nbpipe(['sync', '--prefer', 'notebook', 'a.ipynb'], { cwd: r.dir }).code).toBe(0);
    expect(commit(r).code).toBe(0);
    expectCommitted(r, 'x = 3');
  });

  it('both resolved, differently: the commit is refused until one side is kept', () => {
    const r = conflictedPair();
    r.write('a.ipynb', withFirstCell(r.read('a.ipynb'), 'x = 2'));
    r.write('a.py', resolvedScript(r.read('a.py'), 'x = 3\n'));
    const c = commit(r);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('a.ipynb and a.py were resolved differently');
    expect(c.stderr).toContain('`nbpipe sync --prefer text a.py && git add a.ipynb a.py && git commit --no-edit`');
    expect(r.git('log', '-1', '--format=%s').stdout.trim()).toBe('ours');

    expect(nbpipe(['sync', '--prefer', 'text', 'a.py'], { cwd: r.dir }).code).toBe(0);
    expect(commit(r).code).toBe(0);
    expectCommitted(r, 'x = 3');
  });
});

describe('a pair conflicted by a rebase', () => {
  it('is refused with the commands that finish a rebase, which then commit it resolved', () => {
    const r = conflictedPair();
    r.git('merge', '--abort');
    expect(gitMayFail(r.dir, 'rebase', 'other').code).not.toBe(0);
    const c = commit(r);
    expect(c.code).not.toBe(0);
    const finish = 'git add a.ipynb a.py && git commit --no-edit && git rebase --continue';
    expect(c.stderr).toContain(`\`nbpipe sync --prefer notebook a.ipynb && ${finish}\``);

    r.write('a.ipynb', withFirstCell(r.read('a.ipynb'), 'x = 2'));
    expect(nbpipe(['sync', '--prefer', 'notebook', 'a.ipynb'], { cwd: r.dir }).code).toBe(0);
    r.git('add', 'a.ipynb', 'a.py');
    r.git('commit', '-q', '--no-edit');
    expect(run('git', ['rebase', '--continue'], { cwd: r.dir, env: { ...process.env, GIT_EDITOR: 'true' } }).code).toBe(
      0,
    );
    expect(r.git('log', '--format=%s', '-3').stdout).toBe('ours\ntheirs\npair\n');
    expect(r.git('show', 'HEAD:a.py').stdout).toContain('\nx = 2\n');
    expect(r.git('show', 'HEAD:a.py').stdout).not.toMatch(/^[<>]{7}/m);
    expect(firstCell(r.git('show', 'HEAD:a.ipynb').stdout)).toBe('x = 2');
  });
});

describe('a conflicted notebook without a pair', () => {
  it('is not committed with its markers once git added', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    r.write('b.ipynb', notebook(['y = 1']));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'notebook');
    r.git('switch', '-q', '-c', 'other');
    r.write('b.ipynb', notebook(['y = 3']));
    r.git('commit', '-q', '-am', 'theirs');
    r.git('switch', '-q', 'main');
    r.write('b.ipynb', notebook(['y = 2']));
    r.git('commit', '-q', '-am', 'ours');
    expect(gitMayFail(r.dir, 'merge', 'other').code).toBe(1);
    r.git('add', 'b.ipynb');
    const c = gitMayFail(r.dir, 'commit', '--no-edit');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain(
      'b.ipynb still holds conflicts (cell 0 (source): conflict markers in the source (line 1)); resolve them, then `git add b.ipynb`',
    );
    expect(r.git('log', '-1', '--format=%s').stdout.trim()).toBe('ours');
  });
});

describe('nbpipe sync on a conflicted pair', () => {
  it('refuses to sync from or over a member with markers, naming the file and line, and writes nothing', () => {
    const r = conflictedPair();
    const before = { py: r.read('a.py'), ipynb: r.read('a.ipynb') };
    for (const path of ['a.py', 'a.ipynb']) {
      const s = nbpipe(['sync', path], { cwd: r.dir });
      expect(s.code).toBe(1);
      expect(s.stdout).toContain('a.py (line 15: conflict markers)');
      expect(s.stdout).toContain('nothing was written');
    }
    expect(nbpipe(['sync', '--prefer', 'text', 'a.py'], { cwd: r.dir }).code).toBe(1);
    expect(r.read('a.py')).toBe(before.py);
    expect(r.read('a.ipynb')).toBe(before.ipynb);
  });
});

describe('nbpipe conflicts', () => {
  it('lists both members of a conflicted pair with and without paths, and exits 0 once the merge is finished', () => {
    const r = conflictedPair();
    const all = nbpipe(['conflicts'], { cwd: r.dir });
    expect(all.code).toBe(1);
    expect(all.stdout).toBe(
      'a.ipynb: cell 0 (source): conflict markers in the source (line 1)\na.py: line 15: conflict markers\n',
    );
    const script = nbpipe(['conflicts', 'a.py'], { cwd: r.dir });
    expect(script.code).toBe(1);
    expect(script.stdout).toBe('a.py: line 15: conflict markers\n');

    // Marked resolved with git add, the markers still count.
    r.git('add', 'a.py', 'a.ipynb');
    expect(nbpipe(['conflicts'], { cwd: r.dir }).stdout).toContain('a.py: line 15');

    r.write('a.py', resolvedScript(r.read('a.py'), 'x = 3\n'));
    expect(commit(r).code).toBe(0);
    const none = nbpipe(['conflicts'], { cwd: r.dir });
    expect(none.code, none.stdout).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('reports a notebook left unmerged without markers', () => {
    const r = conflictedPair();
    r.write('a.ipynb', withFirstCell(r.read('a.ipynb'), 'x = 2'));
    const listed = nbpipe(['conflicts'], { cwd: r.dir });
    expect(listed.code).toBe(1);
    expect(listed.stdout).toContain('a.ipynb: unmerged, no conflict marker left: `git add a.ipynb` marks it resolved');
    expect(readFileSync(join(r.dir, 'a.ipynb'), 'utf8')).toContain('x = 2');
  });
});
