import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diffMergeSteps, installSteps, uninstallSteps, type InstallTarget } from '../src/install.js';
import { findRepository } from '../src/repo.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function target(): Promise<InstallTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-git-install-'));
  dirs.push(dir);
  execFileSync('git', ['init', '-q', dir]);
  const repo = (await findRepository(dir))!;
  return {
    scope: 'local',
    repo,
    attributesFile: join(dir, '.gitattributes'),
    launcher: { node: '/usr/bin/node', script: '/opt/nbpipe/git-drivers.js' },
  };
}

async function problems(t: InstallTarget): Promise<string[]> {
  const checks = await Promise.all(diffMergeSteps().map((s) => s.check(t)));
  return checks.flatMap((c) => c.problems);
}

describe('diff and merge install steps', () => {
  it('check reports each missing piece before install and nothing after', async () => {
    const t = await target();
    expect(await problems(t)).toEqual([
      'merge.nbpipe.name is not set in the git config',
      'merge.nbpipe.driver is not set in the git config',
      'diff.nbpipe.command is not set in the git config',
      'diff.nbpipe.textconv is not set in the git config',
      'diff.nbpipe.xfuncname is not set in the git config',
      `${t.attributesFile} lacks "*.ipynb diff=nbpipe merge=nbpipe"`,
    ]);
    expect(await installSteps(diffMergeSteps(), t)).toHaveLength(6);
    expect(await problems(t)).toEqual([]);
    expect(await installSteps(diffMergeSteps(), t)).toEqual([]);
  });

  it('check notices a stale launcher and a later attributes line that overrides ours', async () => {
    const t = await target();
    await installSteps(diffMergeSteps(), t);
    const moved = { ...t, launcher: { ...t.launcher, script: '/elsewhere/git-drivers.js' } };
    expect(await problems(moved)).toEqual([
      'merge.nbpipe.driver differs from what `nbpipe install` writes (run it again to update)',
      'diff.nbpipe.command differs from what `nbpipe install` writes (run it again to update)',
      'diff.nbpipe.textconv differs from what `nbpipe install` writes (run it again to update)',
    ]);
    appendFileSync(t.attributesFile, '*.ipynb -diff\n');
    expect(await problems(t)).toEqual([
      "notebooks get diff=unset, not nbpipe: a later attributes line overrides nbpipe's",
    ]);
  });

  it('uninstall leaves the config and attributes as they were', async () => {
    const t = await target();
    const config = join(t.repo!.gitDir, 'config');
    const before = readFileSync(config, 'utf8');
    await installSteps(diffMergeSteps(), t);
    expect(await uninstallSteps(diffMergeSteps(), t)).toHaveLength(6);
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(await uninstallSteps(diffMergeSteps(), t)).toEqual([]);
  });
});
