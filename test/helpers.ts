import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { ROOT, run, tempDir, type RunResult } from '@nbpipe/test-support';

export { ROOT, SHARED, CORPORA, SYSTEM_PYTHON, run, tempDir, type RunResult } from '@nbpipe/test-support';
export const CLI = join(ROOT, 'packages/cli/bin/nbpipe.js');

/** Run the built `nbpipe` CLI. */
export function nbpipe(args: string[], options: SpawnSyncOptions & { input?: string | Buffer } = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    ...options,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * run() for commands that take minutes (npm install, pre-commit's environment): it does not block, so vitest's worker
 * keeps answering its runner meanwhile (see the afterEach below).
 */
export function runAsync(
  cmd: string,
  args: string[],
  options: SpawnOptions & { allowFailure?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code !== 0 && !options.allowFailure)
        reject(new Error(`${cmd} ${args.join(' ')} exited ${result.code}\n${stdout}\n${stderr}`));
      else resolve(result);
    });
  });
}

const afterTest: (() => void)[] = [];
afterEach(async () => {
  while (afterTest.length) afterTest.pop()!();
  // These tests block on child processes (spawnSync). Without a turn of the event loop between tests, a file that runs
  // longer than 60 s never reads vitest's answers to its progress reports, and vitest fails the whole run with
  // "Timeout calling onTaskUpdate" (vitest-dev/vitest#6479) although every test passed: seen on test/diff-merge.test.ts.
  await new Promise<void>((resolve) => setImmediate(resolve));
});

/** Run `cleanup` (e.g. of a tempRepo or tempDir) after the current test, pass or fail. */
export function removeAfterTest(cleanup: () => void): void {
  afterTest.push(cleanup);
}

/** A fresh git repository with a committer identity, in a temp dir. */
export function tempRepo(): {
  dir: string;
  git: (...args: string[]) => RunResult;
  cleanup: () => void;
  write: (path: string, text: string) => void;
  read: (path: string) => string;
} {
  const { dir, cleanup } = tempDir('nbpipe-repo-');
  const git = (...args: string[]) => run('git', args, { cwd: dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  git('config', 'commit.gpgsign', 'false');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  return { dir, git, cleanup, write, read };
}
