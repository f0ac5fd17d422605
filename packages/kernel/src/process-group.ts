import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { delimiter, resolve } from 'node:path';

/**
 * The descriptor, in the spawned process, of a pipe from us. We never write to it, so its reader sees
 * end of file exactly when we close it or die, however we die (`kill -9` too).
 */
const RUN_PIPE_FD = 9;
/**
 * Starts the command in place (`exec` keeps its pid, exit status and signals) beside a watcher, in
 * the same process group, that kills the whole group at end of file on our pipe. The watcher is
 * forked twice so that it is not the command's child: a script's `wait`, or ipykernel terminating
 * its children at shutdown, would wait for it. It ignores hangups and interrupts (Jupyter interrupts a
 * kernel's whole group). Node has no `prctl(PR_SET_PDEATHSIG)`, and this also covers commands that are
 * not Python, and their children.
 */
const WATCHDOG = `( (trap '' HUP INT; read _ <&${RUN_PIPE_FD}; kill -KILL 0) & ); exec "$@" ${RUN_PIPE_FD}<&-`;

/**
 * Spawn a process in a process group of its own (on Windows, plainly) that goes away with it and with
 * us: once the process exited, or as soon as this process dies however it dies, the watcher kills the
 * group, so nothing the process started outlives it (README: nbpipe run).
 */
export function spawnProcessGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (process.platform === 'win32') return spawn(command, args, options);
  // A command that cannot run is spawned as is, so the caller gets Node's 'error' (ENOENT, EACCES), not the shell's 127.
  if (!isExecutable(command, String(options.cwd ?? '.'), options.env?.PATH ?? process.env.PATH ?? ''))
    return spawn(command, args, { ...options, detached: true });
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'nbpipe-task', command, ...args], {
    ...options,
    stdio: withRunPipe(options.stdio),
    detached: true,
  });
  // What the process left running in its group goes now (and its pipes close, so 'close' comes).
  child.once('exit', () => (child.stdio as unknown as (Socket | undefined)[])[RUN_PIPE_FD]?.destroy());
  return child;
}

/** Whether `command` names an executable file, directly (with a `/`, from `cwd`) or through the folders of `path`. */
function isExecutable(command: string, cwd: string, path: string): boolean {
  const candidates = command.includes('/')
    ? [resolve(cwd, command)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => resolve(cwd, dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

function withRunPipe(stdio: SpawnOptions['stdio']): StdioPipe[] {
  const given: StdioPipe[] = Array.isArray(stdio)
    ? [...(stdio as StdioPipe[])]
    : [stdio ?? 'pipe', stdio ?? 'pipe', stdio ?? 'pipe'];
  while (given.length < RUN_PIPE_FD) given.push('ignore');
  given[RUN_PIPE_FD] = 'pipe';
  return given;
}

type StdioPipe = Exclude<SpawnOptions['stdio'], string | undefined>[number];
