import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRepository, repositoryAt } from '../src/repo.js';
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
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
    git(main, 'init', '-q', '-b', 'main');
    git(main, '-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'first');
    git(main, 'worktree', 'add', '-q', join(dir, 'linked'), '-b', 'linked');
    for (const cwd of [main, join(main, 'sub'), join(dir, 'linked')]) expect(repositoryAt(cwd), cwd).toEqual(await findRepository(cwd));
    expect(repositoryAt(join(dir, 'linked'))?.gitDir).toBe(join(main, '.git/worktrees/linked'));
    expect(repositoryAt(dir)).toBeUndefined();
  });
});
