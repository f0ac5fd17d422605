// What unit tests (packages/*/test) and end-to-end tests (test/) share. Source only: vitest and tsconfig.test.json
// resolve it to this file, nothing builds or publishes it.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The reference data (corpora, schemas): ../shared beside the repository, as CI lays it out. A clone made elsewhere
 * (a clean-clone check in /tmp) finds it beside the repository it was cloned from, when that is a local folder.
 */
export const SHARED = findShared();
export const CORPORA = join(SHARED, 'corpora');

function findShared(): string {
  const beside = resolve(ROOT, '../shared');
  if (existsSync(beside)) return beside;
  const origin =
    spawnSync('git', ['config', '--get', 'remote.origin.url'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const originPath = origin.startsWith('file://') ? fileURLToPath(origin) : origin;
  const besideOrigin = isAbsolute(originPath) ? resolve(originPath, '../shared') : undefined;
  return besideOrigin && existsSync(besideOrigin) ? besideOrigin : beside;
}

/** Debian's python, which has python3-nbformat and python3-ipykernel (installed by .ci/run). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(prefix = 'nbpipe-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command; throws with its output if it fails (unless allowFailure). */
export function run(
  cmd: string,
  args: string[],
  options: SpawnSyncOptions & { allowFailure?: boolean; input?: string } = {},
): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  const result = { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (result.code !== 0 && !options.allowFailure)
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}
