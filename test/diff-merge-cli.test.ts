import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, parse, serialize, type Cell } from '@nbpipe/nbformat';
import { ROOT, nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

function dir() {
  const d = tempDir();
  removeAfterTest(d.cleanup);
  const write = (name: string, text: string) => {
    writeFileSync(join(d.dir, name), text);
    return join(d.dir, name);
  };
  return { dir: d.dir, write };
}

const nb = (cells: Cell[]) => serialize({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const base = [
  markdownCell('# Title', { id: 'a' }),
  codeCell('x = 1\ny = 2', { id: 'b' }),
  codeCell('print(x)', { id: 'c' }),
];
const edited = (id: string, source: string) => base.map((c) => (c.id === id ? { ...c, source } : c));

describe('nbpipe diff', () => {
  it('compares two notebooks; exit 0 whether or not they differ, 1 with --exit-code', () => {
    const d = dir();
    const a = d.write('a.ipynb', nb(base));
    const b = d.write('b.ipynb', nb(edited('b', 'x = 10\ny = 2')));
    const r = nbpipe(['diff', a, b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^-x = 1$/m);
    expect(r.stdout).toMatch(/^\+x = 10$/m);
    expect(nbpipe(['diff', '--exit-code', a, b]).code).toBe(1);
    const same = nbpipe(['diff', '--exit-code', a, a]);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
  });

  it('--json prints the structured diff; --sources-only ignores outputs', () => {
    const d = dir();
    const a = d.write('a.ipynb', nb(base));
    const withOutput = base.map((c) =>
      c.id === 'c' ? { ...c, outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text: '1\n' }] } : c,
    );
    const b = d.write('b.ipynb', nb(withOutput));
    const json = nbpipe(['diff', '--json', a, b]);
    expect(json.code).toBe(0);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stdout).toContain('1\\n');
    expect(nbpipe(['diff', '--sources-only', '--exit-code', a, b]).code).toBe(0);
    expect(nbpipe(['diff', '--no-outputs', '--exit-code', a, b]).code).toBe(0);
    expect(nbpipe(['diff', '--exit-code', a, b]).code).toBe(1);
  });

  it('exits 2 with one line naming the file on bad input', () => {
    const d = dir();
    const a = d.write('a.ipynb', nb(base));
    const bad = d.write('bad.ipynb', '{"cells": [\n');
    const r = nbpipe(['diff', a, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('bad.ipynb');
    expect(r.stderr).toMatch(/line 2/);
  });

  it('with no pair, diffs changed notebooks in the working tree against HEAD, from any folder', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    r.write('sub/one.ipynb', nb(base));
    r.write('two.ipynb', nb(base));
    r.write('notes.txt', 'hello\n');
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'base');
    r.write('sub/one.ipynb', nb(edited('c', 'print(y)')));
    r.write('two.ipynb', nb(edited('a', '# Other title')));
    r.write('notes.txt', 'changed\n');

    const all = nbpipe(['diff'], { cwd: join(r.dir, 'sub') });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('sub/one.ipynb');
    expect(all.stdout).toContain('two.ipynb');
    expect(all.stdout).toMatch(/^\+print\(y\)$/m);
    expect(all.stdout).not.toContain('changed');

    const limited = nbpipe(['diff', '.'], { cwd: join(r.dir, 'sub') });
    expect(limited.stdout).toContain('sub/one.ipynb');
    expect(limited.stdout).not.toContain('Other title');

    const json = nbpipe(['diff', '--json'], { cwd: r.dir });
    expect(
      JSON.parse(json.stdout)
        .map((f: { path: string }) => f.path)
        .sort(),
    ).toEqual(['sub/one.ipynb', 'two.ipynb']);
  });
});

describe('nbpipe merge', () => {
  it('exit 0 on a clean merge, 1 with conflicts, 2 on bad input (writing nothing)', () => {
    const d = dir();
    const b = d.write('base.ipynb', nb(base));
    const l = d.write('local.ipynb', nb(edited('b', 'x = 100\ny = 2')));
    const clean = d.write('clean.ipynb', nb(edited('c', 'print(x, y)')));
    const clash = d.write('clash.ipynb', nb(edited('b', 'x = 200\ny = 2')));

    const ok = nbpipe(['merge', b, l, clean, '-o', join(d.dir, 'out.ipynb')]);
    expect(ok.code, ok.stderr).toBe(0);
    const merged = parse(readFileSync(join(d.dir, 'out.ipynb'), 'utf8')).cells.map((c) => c.source);
    expect(merged).toEqual(['# Title', 'x = 100\ny = 2', 'print(x, y)']);

    const conflicted = nbpipe(['merge', b, l, clash]);
    expect(conflicted.code).toBe(1);
    expect(conflicted.stdout).toContain('<<<<<<< local');
    expect(conflicted.stderr).toMatch(/1 conflict/);

    const bad = d.write('bad.ipynb', 'not json');
    const failed = nbpipe(['merge', b, l, bad, '-o', join(d.dir, 'never.ipynb')]);
    expect(failed.code).toBe(2);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(() => readFileSync(join(d.dir, 'never.ipynb'))).toThrow();
  });

  it('merge-driver writes %A, honours the marker size, and leaves %A untouched on unreadable input', () => {
    const d = dir();
    const b = d.write('base.ipynb', nb(base));
    const a = d.write('ours.ipynb', nb(edited('b', 'x = 100\ny = 2')));
    const theirs = d.write('theirs.ipynb', nb(edited('b', 'x = 200\ny = 2')));
    // git's labels, as in the paired script git merges as text: HEAD, and the branch git merge names in GITHEAD_<commit>.
    const r = nbpipe(['merge-driver', b, a, theirs, '9', 'nb.ipynb'], {
      env: { [`GITHEAD_${'e'.repeat(40)}`]: 'topic' },
    });
    expect(r.code).toBe(1);
    expect(readFileSync(a, 'utf8')).toContain('"<<<<<<<<< HEAD\\n"');
    expect(readFileSync(a, 'utf8')).toContain('">>>>>>>>> topic\\n"');

    const a2 = d.write('ours2.ipynb', nb(edited('b', 'x = 100\ny = 2')));
    const before = readFileSync(a2, 'utf8');
    const bad = d.write('bad.ipynb', '{');
    const failed = nbpipe(['merge-driver', b, a2, bad, '7', 'nb.ipynb']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('nb.ipynb (theirs)');
    expect(readFileSync(a2, 'utf8')).toBe(before);
  });
});

describe('nbpipe textconv and conflicts', () => {
  it('textconv prints cells as text, and anything else unchanged', () => {
    const d = dir();
    const view = nbpipe(['textconv', d.write('a.ipynb', nb(base))]);
    expect(view.code).toBe(0);
    expect(view.stdout).toContain('# %%');
    expect(view.stdout).toContain('x = 1\ny = 2');
    const raw = nbpipe(['textconv', d.write('bad.ipynb', 'plain {text\n')]);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toBe('plain {text\n');
  });

  it('conflicts exits 0 on a clean notebook and 1 while markers remain', () => {
    const d = dir();
    expect(nbpipe(['conflicts', d.write('a.ipynb', nb(base))]).code).toBe(0);
    const merged = nbpipe([
      'merge',
      d.write('b.ipynb', nb(base)),
      d.write('l.ipynb', nb(edited('b', 'l = 1'))),
      d.write('r.ipynb', nb(edited('b', 'r = 1'))),
    ]);
    const listed = nbpipe(['conflicts', d.write('m.ipynb', merged.stdout)]);
    expect(listed.code).toBe(1);
    expect(listed.stdout).toMatch(/m\.ipynb: cell 1/);
  });
});

describe('a repository whose nbpipe cannot start (e.g. node_modules removed) keeps git working', () => {
  const DRIVERS = join(ROOT, 'packages/cli/drivers/git-drivers.cjs');

  function brokenInstall(script: string) {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    const config = join(r.dir, '.git/config');
    writeFileSync(config, readFileSync(config, 'utf8').split(DRIVERS).join(script));
    r.write('nb.ipynb', nb(base));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'base');
    return r;
  }

  it.each([
    ['the script is gone', () => '/nonexistent/nbpipe/git-drivers.cjs'],
    [
      'the script cannot load its modules',
      () => {
        const d = dir();
        mkdirSync(join(d.dir, 'dist'));
        copyFileSync(DRIVERS, join(d.dir, 'dist/git-drivers.cjs'));
        return join(d.dir, 'dist/git-drivers.cjs');
      },
    ],
  ])('when %s: plain git diff, log -p and show', (_, script) => {
    const r = brokenInstall(script());
    r.write('nb.ipynb', nb(edited('b', 'x = 5\ny = 2')));
    const diff = r.git('diff');
    expect(diff.stdout).toContain('+    "x = 5\\n",');
    r.git('commit', '-q', '-am', 'edit');
    expect(r.git('log', '-p').stdout).toContain('+    "x = 5\\n",');
    expect(r.git('show').code).toBe(0);
  });

  it('when node is gone: one line says so, and diff, merge and commit go on without nbpipe', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    const gone = '/nonexistent/bin/node';
    for (const file of ['.git/config', '.git/hooks/pre-commit'])
      writeFileSync(join(r.dir, file), r.read(file).split(process.execPath).join(gone));
    const nbpipeLines = (stderr: string) =>
      stderr.split('\n').filter((line) => line.includes('nbpipe') && !line.includes('pass through git unstripped'));
    r.write('nb.ipynb', nb(base));
    r.git('add', '.');
    const commit = run('git', ['commit', '-q', '-m', 'base'], { cwd: r.dir });
    expect(nbpipeLines(commit.stderr)).toEqual([
      `nbpipe: cannot start (node ${gone} is missing); notebooks are not checked`,
    ]);
    r.write('nb.ipynb', nb(edited('b', 'x = 5\ny = 2')));
    const diff = r.git('diff');
    expect(nbpipeLines(diff.stderr)).toEqual([`nbpipe: cannot start (node ${gone} is missing): showing a plain diff`]);
    expect(diff.stdout).toMatch(
      /^diff --git a\/nb\.ipynb b\/nb\.ipynb\n(.*\n)?--- a\/nb\.ipynb\n\+\+\+ b\/nb\.ipynb\n/m,
    );
    expect(diff.stdout).toContain('+    "x = 5\\n",');
    r.git('commit', '-q', '-am', 'edit');
    r.git('checkout', '-q', '-b', 'topic', 'HEAD~1');
    r.write('nb.ipynb', nb(edited('c', 'print("topic")')));
    r.git('commit', '-q', '-am', 'topic');
    r.git('checkout', '-q', 'main');
    const merge = run('git', ['merge', '--no-edit', 'topic'], { cwd: r.dir, allowFailure: true });
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    expect(nbpipeLines(merge.stderr)).toEqual([`nbpipe: cannot start (node ${gone} is missing): merging as text`]);
    expect(parse(r.read('nb.ipynb')).cells.map((c) => c.source)).toEqual(['# Title', 'x = 5\ny = 2', 'print("topic")']);
  });

  it("when the script is gone: git's own text merge", () => {
    const r = brokenInstall('/nonexistent/nbpipe/git-drivers.cjs');
    r.git('checkout', '-q', '-b', 'topic');
    r.write('nb.ipynb', nb(edited('c', 'print("topic")')));
    r.git('commit', '-q', '-am', 'topic');
    r.git('checkout', '-q', 'main');
    r.write('nb.ipynb', nb(edited('a', '# Main title')));
    r.git('commit', '-q', '-am', 'main');
    const merge = run('git', ['merge', '--no-edit', 'topic'], { cwd: r.dir, allowFailure: true });
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    expect(parse(r.read('nb.ipynb')).cells.map((c) => c.source)).toEqual([
      '# Main title',
      'x = 1\ny = 2',
      'print("topic")',
    ]);
  });
});

describe('the processes git starts for nbpipe', () => {
  it('start without loading NODE_EXTRA_CA_CERTS (Node 20 parses it at every start; none of them uses TLS)', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    r.write('nb.ipynb', nb(base));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'base');
    r.write('nb.ipynb', nb(edited('b', 'x = 5\ny = 2')));
    // Node warns on stderr at start-up when the file cannot be read, so a process that still loads it shows up here.
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', NODE_EXTRA_CA_CERTS: join(r.dir, 'missing-ca.pem') };
    const git = (...args: string[]) => run('git', args, { cwd: r.dir, env });
    const diff = git('diff');
    expect(diff.stdout).toMatch(/^\+x = 5$/m);
    const commit = git('commit', '-q', '-am', 'edit');
    const log = git('log', '-p', '-1');
    expect(log.stdout).toMatch(/^\+x = 5$/m);
    for (const step of [diff, commit, log]) expect(step.stderr).not.toMatch(/extra certs/);
  });
});
