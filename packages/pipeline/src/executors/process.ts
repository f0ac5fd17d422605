import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Value } from '../env.js';
import type { TaskJob } from './registry.js';

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

/** The last `lines` lines of a log file (for failure messages), read from its end. */
export function tailOfFile(path: string, lines = 20): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\s+$/, '');
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

/**
 * The descriptor, in a task's process, of a pipe from the run. The run never writes to it, so its
 * reader sees end of file exactly when the run closes it or dies, however it dies (`kill -9` too).
 */
const RUN_PIPE_FD = 9;
/**
 * Starts the task in place (`exec` keeps its pid, exit status and signals) beside a watcher, in the
 * task's process group, that kills the whole group at end of file on the run's pipe. Node has no
 * `prctl(PR_SET_PDEATHSIG)`, and this also covers tasks that are not Python and their children.
 */
const WATCHDOG = `(read _ <&${RUN_PIPE_FD}; kill -KILL 0) & exec "$@" ${RUN_PIPE_FD}<&-`;

/**
 * Spawn a task's process in its own process group, so that stopping it stops whatever it started.
 * Aborting `signal` sends SIGTERM to the group, then SIGKILL after a grace period. The group does
 * not outlive the task's process nor the run: a watcher kills it once the run has seen the process
 * exit, or when the run dies. `started` is told the pid.
 */
export function spawnTaskProcess(command: string, args: string[], options: SpawnOptions, job: Pick<TaskJob, 'signal' | 'started'>): ChildProcess {
  const { signal } = job;
  const child = process.platform === 'win32' ? spawn(command, args, options) : spawn('/bin/sh', ['-c', WATCHDOG, 'nbpipe-task', command, ...args], { ...options, stdio: withRunPipe(options.stdio), detached: true });
  const kill = (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      if (process.platform === 'win32') child.kill(sig);
      else process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  const onAbort = () => {
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), 2000).unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => {
    signal.removeEventListener('abort', onAbort);
    // What the task left running in its group goes now (and its pipes close, so 'close' comes).
    (child.stdio as unknown as (Socket | undefined)[])[RUN_PIPE_FD]?.destroy();
  });
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

function withRunPipe(stdio: SpawnOptions['stdio']): StdioPipe[] {
  const given: StdioPipe[] = Array.isArray(stdio) ? [...(stdio as StdioPipe[])] : [stdio ?? 'pipe', stdio ?? 'pipe', stdio ?? 'pipe'];
  while (given.length < RUN_PIPE_FD) given.push('ignore');
  given[RUN_PIPE_FD] = 'pipe';
  return given;
}

type StdioPipe = Exclude<SpawnOptions['stdio'], string | undefined>[number];

const live = new Map<ChildProcess, (sig: NodeJS.Signals) => void>();
let exitHookInstalled = false;

/** Wait for a process; resolves with how it ended. */
export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal }));
  });
}
