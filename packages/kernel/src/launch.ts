import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JupyterKernelSpec } from './kernelspec.js';
import { spawnProcessGroup } from './process-group.js';

/** The connection file's contents (jupyter_client's format). */
export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  signature_scheme: 'hmac-sha256';
  key: string;
  kernel_name: string;
}

export interface LaunchOptions {
  /** Working directory of the kernel (default: this process's cwd). */
  cwd?: string;
  /** Extra environment variables, applied after the kernelspec's `env`; `undefined` removes one. */
  env?: Record<string, string | undefined>;
}

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

const STDERR_TAIL_BYTES = 8192;
/** Kernels still running, killed if this process exits without shutting them down. */
const running = new Set<RunningKernel>();
let exitHookInstalled = false;

/** A running kernel process as a client sees it: how to reach it, signal it, and learn why it ended. */
export interface RunningKernel {
  readonly pid: number;
  readonly connection: ConnectionInfo;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  readonly exitStatus: ExitStatus | undefined;
  /** Set when the process could not be spawned at all (e.g. argv[0] not found). */
  readonly spawnError: Error | undefined;
  readonly alive: boolean;
  /** What the process wrote on stdout/stderr lately (the end of it). */
  readonly outputTail: string;
  /** A mark for `outputSince`: how much was written so far. */
  readonly outputMark: number;
  /** The (kept) output written after `mark`. */
  outputSince(mark: number): string;
  /** Send a signal to the kernel's process group. */
  signal(signal: NodeJS.Signals): void;
  /** Remove the connection file and its directory. */
  removeConnectionFile(): void;
}

/** How a client gets a kernel process for a kernelspec (KernelProcess.launch, or a KernelFactory's). */
export type KernelLauncher = (spec: JupyterKernelSpec, options: LaunchOptions) => Promise<RunningKernel>;

/** A kernel's connection file written, and the argv and environment to start it with. */
export interface PreparedLaunch {
  connection: ConnectionInfo;
  /** Private directory holding the connection file (and whatever else belongs to this kernel). */
  runtimeDir: string;
  /** `spec.argv` with `{connection_file}` and `{resource_dir}` filled in. */
  argv: string[];
  /** This process's environment, then the kernelspec's `env`, then the options' (unset values removed). */
  env: Record<string, string>;
}

/**
 * A fresh connection file (127.0.0.1, free ports, random HMAC-SHA256 key) in a private temporary
 * directory, and the argv and environment of the kernel, as jupyter_client prepares them.
 */
export async function prepareLaunch(spec: JupyterKernelSpec, options: LaunchOptions): Promise<PreparedLaunch> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const connection: ConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    signature_scheme: 'hmac-sha256',
    key: randomUUID(),
    kernel_name: spec.name,
  };
  // A new private directory: nobody else can see the file before it is complete, so writing it in place is safe.
  const runtimeDir = mkdtempSync(join(tmpdir(), 'nbpipe-kernel-'));
  const connectionFile = join(runtimeDir, `kernel-${randomUUID()}.json`);
  writeFileSync(connectionFile, JSON.stringify(connection, null, 1), { mode: 0o600, flag: 'wx' });

  const substitutions: Record<string, string> = { connection_file: connectionFile, resource_dir: spec.resourceDir };
  const argv = spec.argv.map((arg) =>
    arg.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => substitutions[name] ?? whole),
  );
  return { connection, runtimeDir, argv, env: kernelEnvironment(spec, options.env) };
}

/** This process's environment, then the kernelspec's `env` (`${VAR}` expanded), then `extra`; unset values removed. */
export function kernelEnvironment(
  spec: Pick<JupyterKernelSpec, 'env'>,
  extra: LaunchOptions['env'] = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(spec.env)) env[name] = expandEnv(value, env);
  Object.assign(env, extra);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env as Record<string, string>;
}

/** A kernel process started from a kernelspec, in its own process group, with its connection file. */
export class KernelProcess implements RunningKernel {
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;
  /** Set when the process could not be spawned at all (e.g. argv[0] not found). */
  spawnError: Error | undefined;
  private output = '';
  private outputLength = 0;

  private constructor(
    child: ChildProcess,
    readonly connection: ConnectionInfo,
    private readonly runtimeDir: string,
  ) {
    this.pid = child.pid ?? -1;
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => this.keepOutput(chunk));
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => {
        this.spawnError = e;
        this.exitStatus ??= { code: null, signal: null };
        resolve(this.exitStatus);
      });
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        // let the last stderr lines arrive (they explain most start-up failures)
        const settle = () => resolve(this.exitStatus!);
        const timer = setTimeout(settle, 200);
        child.on('close', () => {
          clearTimeout(timer);
          settle();
        });
      });
    });
  }

  /**
   * Spawn `spec.argv` with a fresh connection file (prepareLaunch). The kernel gets its own process group
   * so a terminal's Ctrl-C does not reach it behind our back, and `JPY_PARENT_PID` so ipykernel exits if we die.
   */
  static async launch(spec: JupyterKernelSpec, options: LaunchOptions = {}): Promise<KernelProcess> {
    const { connection, runtimeDir, argv, env } = await prepareLaunch(spec, options);
    env.JPY_PARENT_PID = String(process.pid);
    const child = spawnProcessGroup(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kernel = new KernelProcess(child, connection, runtimeDir);
    trackKernel(kernel);
    return kernel;
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /** What the process wrote on stdout/stderr lately (the end of it). */
  get outputTail(): string {
    return this.output;
  }

  /** A mark for `outputSince`: how many characters were written so far. */
  get outputMark(): number {
    return this.outputLength;
  }

  /** The (kept) output written after `mark`. */
  outputSince(mark: number): string {
    return this.output.slice(Math.max(0, this.output.length - (this.outputLength - mark)));
  }

  /** Send a signal to the kernel's process group (falls back to the process itself). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive && this.pid >= 0) signalGroup(this.pid, signal);
  }

  /** Remove the connection file and its directory. */
  removeConnectionFile(): void {
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }

  private keepOutput(chunk: Buffer): void {
    const text = chunk.toString('utf8');
    this.outputLength += text.length;
    this.output = (this.output + text).slice(-STDERR_TAIL_BYTES);
  }
}

/** Send a signal to the process group led by `pid` (on Windows, or when there is no such group, to the process). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The text of the last `bytes` bytes of a file, starting no earlier than byte `from` (empty if it does not exist). */
export function readFileTail(path: string, bytes: number, from = 0): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.min(size, Math.max(from, size - bytes));
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Describe how a process ended: "exited with code 1", "was killed by SIGKILL". */
export function describeExit(status: ExitStatus | undefined): string {
  if (!status) return 'is running';
  if (status.signal) return `was killed by ${status.signal}`;
  if (status.code === null) return 'could not be started';
  return `exited with code ${status.code}`;
}

/** `${VAR}` references in kernelspec env values expand from the environment, as jupyter_client does. */
function expandEnv(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open together so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Kill `kernel` and remove its connection file if this process exits while it still runs. */
export function trackKernel(kernel: RunningKernel): void {
  running.add(kernel);
  void kernel.exited.then(() => running.delete(kernel));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const kernel of running) {
      kernel.signal('SIGKILL');
      kernel.removeConnectionFile();
    }
  });
}
