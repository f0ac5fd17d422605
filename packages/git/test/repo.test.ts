import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRepository, readFilesAtRevision, repositoryAt } from '../src/repo.js';
import { tempDir } from '@nbpipe/test-support';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('repositoryAt', () => {
  it('finds what git finds, from a subfolder and in a linked worktree, without starting git', async () => {
    const { dir: tmp, cleanup } = tempDir('nbpipe-repo-at-');
    cleanups.push(cleanup);
    const dir = realpathSync(tmp);
    const main = join(dir, 'main');
    mkdirSync(join(main, 'sub'), { recursive: true });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
    git(main, 'init', '-q', '-b', 'main');
    git(main, '-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'first');
    git(main, 'worktree', 'add', '-q', join(dir, 'linked'), '-b', 'linked');
    for (const cwd of [main, join(main, 'sub'), join(dir, 'linked')])
      expect(repositoryAt(cwd), cwd).toEqual(await findRepository(cwd));
    expect(repositoryAt(join(dir, 'linked'))?.gitDir).toBe(join(main, '.git/worktrees/linked'));
    expect(repositoryAt(dir)).toBeUndefined();
  });
});

describe('findRepository', () => {
  it("gives git's own answer, read from files where that is certain and from git where it is not", async () => {
    const { dir: tmp, cleanup } = tempDir('nbpipe-find-repo-');
    cleanups.push(cleanup);
    const dir = realpathSync(tmp);
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1' };
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });
    const gitsAnswer = (cwd: string) => {
      try {
        const [root, gitDir, commonDir] = git(
          cwd,
          'rev-parse',
          '--show-toplevel',
          '--absolute-git-dir',
          '--git-common-dir',
        ).split('\n');
        return { root, gitDir, commonDir: realpathSync(resolve(cwd, commonDir!)) };
      } catch {
        return undefined;
      }
    };
    const main = join(dir, 'main');
    mkdirSync(join(main, 'sub'), { recursive: true });
    git(main, 'init', '-q', '-b', 'main');
    git(main, '-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'first');
    git(main, 'worktree', 'add', '-q', join(dir, 'linked'), '-b', 'linked');
    symlinkSync(main, join(dir, 'link-to-main'));
    const moved = join(dir, 'moved');
    mkdirSync(join(moved, 'tree'), { recursive: true });
    git(moved, 'init', '-q', '-b', 'main');
    git(moved, 'config', 'core.worktree', join(moved, 'tree'));
    mkdirSync(join(dir, 'empty/.git'), { recursive: true });
    for (const cwd of [
      main,
      join(main, 'sub'),
      join(dir, 'linked'),
      join(dir, 'link-to-main'),
      join(main, '.git'),
      join(moved, 'tree'),
      join(dir, 'empty'),
    ])
      expect(await findRepository(cwd), cwd).toEqual(gitsAnswer(cwd));
    // where files answer for certain, no git is started: the same answer with no git on PATH
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      for (const cwd of [main, join(main, 'sub'), join(dir, 'linked'), join(dir, 'link-to-main')])
        expect(await findRepository(cwd), cwd).toEqual(gitsAnswer(cwd));
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('readFilesAtRevision', () => {
  it('gives each path its own content, a path holding a newline included', async () => {
    const { dir, cleanup } = tempDir('nbpipe-read-at-');
    cleanups.push(cleanup);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q', '-b', 'main');
    const paths = ['a.txt', 'new\nline.txt', 'b c.txt', 'z.txt'];
    for (const path of paths) writeFileSync(join(dir, path), `content of ${path}`);
    git('add', '-A');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '-m', 'files');
    const files = await readFilesAtRevision((await findRepository(dir))!, 'HEAD', [...paths, 'absent.txt']);
    expect(Object.fromEntries([...files].map(([path, content]) => [path, content.toString()]))).toEqual(
      Object.fromEntries(paths.map((path) => [path, `content of ${path}`])),
    );
  });
});
