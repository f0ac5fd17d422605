import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRepository } from '../src/repo.js';
import { indexEntries, stageContent } from '../src/staging.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('indexEntries and stageContent', () => {
  it('give a staged file new content with the mode it had (an executable stays executable)', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'nbpipe-staging-')));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).toString();
    git('init', '-q');
    writeFileSync(join(dir, 'run.py'), 'print(1)\n', { mode: 0o755 });
    writeFileSync(join(dir, 'plain.py'), 'print(2)\n');
    git('add', 'run.py', 'plain.py');
    const repo = await requireRepository(dir);
    const entries = await indexEntries(repo, ['run.py', 'plain.py']);
    expect([entries.get('run.py')?.mode, entries.get('plain.py')?.mode]).toEqual([0o100755, 0o100644]);
    for (const [path, entry] of entries) await stageContent(repo, path, 'print(3)\n', entry.mode);
    expect(git('ls-files', '-s', 'run.py', 'plain.py')).toMatch(/^100644 \S+ 0\tplain\.py\n100755 \S+ 0\trun\.py\n$/);
    expect(git('show', ':run.py')).toBe('print(3)\n');
  });
});
