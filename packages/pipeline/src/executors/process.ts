import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileTail, signalGroup, spawnProcessGroup } from '@nbpipe/kernel';
import type { Value } from '../env.js';
import { TaskFailure, type TaskJob } from './job.js';

/** How a value appears inside a script or an environment variable: strings as is, the rest as Python prints them. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return JSON.stringify(value);
}

/** Environment variable name for a key: upper case, anything but letters, digits and `_` replaced. */
export function envName(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()).join('_');
}

/** The variables a task's process gets: PRODUCT[_KEY], UPSTREAM_<NAME>[_KEY], PARAM_<NAME>, NBPIPE_TASK. */
export function taskEnvironment(job: {
  name: string;
  product: string | Record<string, string>;
  upstream: Record<string, unknown>;
  params: Record<string, Value>;
}): Record<string, string> {
  const env: Record<string, string> = { NBPIPE_TASK: job.name };
  const addProduct = (prefix: string[], product: unknown) => {
    if (typeof product === 'string') env[envName(...prefix)] = product;
    else if (product && typeof product === 'object') {
      env[envName(...prefix)] = JSON.stringify(product);
      for (const [k, v] of Object.entries(product)) addProduct([...prefix, k], v);
    }
  };
  addProduct(['PRODUCT'], job.product);
  for (const [name, product] of Object.entries(job.upstream)) addProduct(['UPSTREAM', name], product);
  for (const [name, value] of Object.entries(job.params)) env[envName('PARAM', name)] = scalarText(value);
  return env;
}

/**
 * The cap of each stream output in an executed notebook (README "`nbpipe run`"): $NBPIPE_MAX_OUTPUT_CHARS, else
 * the run's (`pipeline.maxOutputChars`), else undefined for the kernel package's default. The task's log keeps the whole output.
 */
export function maxOutputChars(job: Pick<TaskJob, 'maxOutputChars'>): number | undefined {
  const fromEnv = process.env.NBPIPE_MAX_OUTPUT_CHARS;
  const value = fromEnv || job.maxOutputChars;
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(String(value)))
    throw new TaskFailure(
      `${fromEnv ? 'NBPIPE_MAX_OUTPUT_CHARS' : 'pipeline.maxOutputChars'} must be a positive whole number, not ${JSON.stringify(value)}`,
    );
  return Number(value);
}

/** The last `lines` lines of a log file (for failure messages), read from its end. */
export function tailOfFile(path: string, lines = 20): string {
  return readFileTail(path, 16 * 1024)
    .replace(/\s+$/, '')
    .split('\n')
    .slice(-lines)
    .join('\n');
}

/**
 * Spawn a task's process in its own process group, so that stopping it stops whatever it started.
 * Aborting `signal` sends SIGTERM to the group, then SIGKILL after a grace period. The group does
 * not outlive the task's process nor the run (spawnProcessGroup). `started` is told the pid.
 */
export function spawnTaskProcess(
  command: string,
  args: string[],
  options: SpawnOptions,
  job: Pick<TaskJob, 'signal' | 'started'>,
): ChildProcess {
  const child = spawnProcessGroup(command, args, options);
  const kill = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    signalGroup(child.pid, sig);
  };
  void stopOnAbort(job.signal, kill, new Promise((resolve) => child.once('exit', resolve)));
  if (child.pid !== undefined) job.started?.(child.pid);
  live.set(child, kill);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // If nbpipe exits while tasks still run (an internal error), their process groups go with it.
    process.once('exit', () => {
      for (const stop of live.values()) stop('SIGKILL');
    });
  }
  return child;
}

/**
 * Until `exited` settles, aborting `signal` sends SIGTERM to the process group (`pid`, or a function that
 * signals it), then SIGKILL after a grace period. Returns `exited`.
 */
export function stopOnAbort<T>(
  signal: AbortSignal,
  group: number | ((sig: NodeJS.Signals) => void),
  exited: Promise<T>,
): Promise<T> {
  let done = false;
  const kill =
    typeof group === 'number'
      ? (sig: NodeJS.Signals) => !done && signalGroup(group, sig)
      : (sig: NodeJS.Signals) => !done && group(sig);
  const onAbort = () => {
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), 2000).unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return exited.finally(() => {
    done = true;
    signal.removeEventListener('abort', onAbort);
  });
}

/**
 * Task processes still running, killed if this process exits first: process-wide, not run state, as the exit hook
 * that reads it is (the kernels' own set is in @nbpipe/kernel's launch.ts).
 */
const live = new Map<ChildProcess, (sig: NodeJS.Signals) => void>();
let exitHookInstalled = false;

/** Wait for a process; resolves with how it ended. */
export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal }));
  });
}
