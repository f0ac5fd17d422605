import type { ChildProcess } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelInterpreter, type JupyterKernelSpec } from './kernelspec.js';
import {
  kernelEnvironment,
  KernelProcess,
  prepareLaunch,
  readFileTail,
  signalGroup,
  trackKernel,
  type ConnectionInfo,
  type ExitStatus,
  type LaunchOptions,
  type RunningKernel,
} from './launch.js';
import { spawnProcessGroup } from './process-group.js';

/** The warm parent's script (shipped next to dist/, README "Fresh kernels"). */
const ZYGOTE = fileURLToPath(new URL('../python/nbpipe_zygote.py', import.meta.url));

const OUTPUT_TAIL_BYTES = 8192;
const ZYGOTE_STDERR_BYTES = 4096;
/** The modules `python -m` may start an ipykernel with. */
const IPYKERNEL_MODULES = new Set(['ipykernel_launcher', 'ipykernel']);

export interface KernelFactoryOptions {
  /** Fork Python kernels from a warm parent (default true); false launches every kernel from its kernelspec. */
  fork?: boolean;
  /** Modules the warm parent imports before it forks (README "Fresh kernels": never implicit). */
  preload?: string[];
  /** Working directory of the warm parents (default: this process's). */
  cwd?: string;
}

/** What a warm parent forks: a kernel (`python -m ipykernel_launcher KERNEL`) or `python -c CODE < STDIN`. */
type ForkRequest = ({ kernel: string[] } | { code: string; stdin: string; socket?: string }) & {
  cwd: string;
  env: Record<string, string>;
  /** File the process's stdout and stderr are appended to. */
  output: string;
};

/** Python code for a warm parent to run in a fresh child, as `python -c CODE < STDIN` in `cwd`. */
export interface PythonRun {
  code: string;
  /** A Unix socket the child connects to, as its file descriptors 3 and 4 (both directions). */
  socket?: string;
  /** File read as the code's stdin. */
  stdin: string;
  cwd: string;
  /** Extra environment variables, after the kernelspec's `env`. */
  env?: LaunchOptions['env'];
  /** File the process's stdout and stderr are appended to. */
  output: string;
}

/** A process forked by a warm parent: its pid (and process group) and how it ended. */
export interface ForkedProcess {
  pid: number;
  exited: Promise<ExitStatus>;
}

/**
 * Where a run's kernels come from (README "Fresh kernels"). A Python kernelspec that starts ipykernel
 * (`python -m ipykernel_launcher …`) gets a warm parent, started once on the kernel's interpreter, that
 * has imported ipykernel and forks a child per kernel: the child becomes a normal Jupyter kernel in
 * milliseconds, where no user code ever ran. Other kernelspecs, and all of them with `fork: false`,
 * are launched from their kernelspec. The warm parents die with this process (spawnProcessGroup)
 * and with `close()`.
 */
export class KernelFactory {
  private readonly parents = new Map<string, Promise<WarmParent | undefined>>();
  /** Kernels started ahead (startAhead), by aheadKey; undefined for one that could not start. */
  private readonly ahead = new Map<string, Promise<RunningKernel | undefined>>();
  private closed = false;

  constructor(private readonly options: KernelFactoryOptions = {}) {}

  /** Whether kernels of `spec` are forked from a warm parent. */
  forks(spec: JupyterKernelSpec): boolean {
    return this.options.fork !== false && process.platform !== 'win32' && ipykernelArguments(spec) !== undefined;
  }

  /** Start the warm parent of `spec` in the background, so that the first kernel does not wait for it. */
  prepare(spec: JupyterKernelSpec): void {
    if (this.forks(spec)) void this.parentFor(spec);
  }

  /**
   * A KernelLauncher: the kernel started ahead for exactly this kernelspec, working directory and environment
   * (startAhead) when there is one and it still runs, else a forked kernel when `spec` allows it and its warm
   * parent started, else a launched one.
   */
  readonly launch = async (spec: JupyterKernelSpec, options: LaunchOptions): Promise<RunningKernel> => {
    const key = aheadKey(spec, options);
    const taken = this.ahead.get(key);
    this.ahead.delete(key);
    const ahead = await taken;
    if (ahead?.alive) return ahead;
    if (ahead) await discard(ahead);
    return this.start(spec, options);
  };

  /**
   * Start the kernel that `launch(spec, options)` will be asked for, before it is (README "Fresh kernels": the
   * next task's kernel starts while the current task runs). No code runs in it until it is taken; one that is
   * never taken goes with `discardAhead` or `close`.
   */
  startAhead(spec: JupyterKernelSpec, options: LaunchOptions): void {
    const key = aheadKey(spec, options);
    if (this.closed || this.ahead.has(key)) return;
    // a kernel that cannot start here fails again, with its message, when the task launches it
    this.ahead.set(
      key,
      this.start(spec, options).catch(() => undefined),
    );
  }

  /** End the kernel started ahead for `spec` and `options`, if it was not taken. */
  async discardAhead(spec: JupyterKernelSpec, options: LaunchOptions): Promise<void> {
    const key = aheadKey(spec, options);
    const ahead = this.ahead.get(key);
    this.ahead.delete(key);
    const kernel = await ahead;
    if (kernel) await discard(kernel);
  }

  private async start(spec: JupyterKernelSpec, options: LaunchOptions): Promise<RunningKernel> {
    const parent = this.forks(spec) ? await this.parentFor(spec) : undefined;
    if (!parent?.alive) return KernelProcess.launch(spec, options);
    const prepared = await prepareLaunch(spec, options);
    const output = join(prepared.runtimeDir, 'output.log');
    const kernel = ipykernelArguments({ ...spec, argv: prepared.argv })!;
    const child = await parent.fork({ kernel, cwd: options.cwd ?? process.cwd(), env: prepared.env, output });
    if (!child) {
      rmSync(prepared.runtimeDir, { recursive: true, force: true });
      return KernelProcess.launch(spec, options);
    }
    const forked = new ForkedKernel(child, prepared.connection, prepared.runtimeDir, output);
    trackKernel(forked);
    return forked;
  }

  /** Run python code in a fresh child of `spec`'s warm parent (undefined when its kernels do not fork, or its warm parent is gone). */
  async runPython(spec: JupyterKernelSpec, run: PythonRun): Promise<ForkedProcess | undefined> {
    const parent = this.forks(spec) ? await this.parentFor(spec) : undefined;
    if (!parent?.alive) return undefined;
    return parent.fork({ ...run, env: kernelEnvironment(spec, run.env) });
  }

  /**
   * Run python code in a fresh child of a warm parent on `python` that imports only the preloaded modules (the
   * embedded executor's, README "Fresh kernels"), with this process's environment and `run.env`; undefined
   * when kernels do not fork (`fork: false`), or that warm parent could not start or is gone.
   */
  async runPlainPython(python: string, run: PythonRun): Promise<ForkedProcess | undefined> {
    const parent = this.plainForks() ? await this.plainParentFor(python) : undefined;
    if (!parent?.alive) return undefined;
    return parent.fork({ ...run, env: kernelEnvironment({ env: {} }, run.env) });
  }

  /** Start the warm parent runPlainPython forks from in the background. */
  preparePlain(python: string): void {
    if (this.plainForks()) void this.plainParentFor(python);
  }

  /** Why the warm parent of `spec` could not start, if it could not (its kernels are then launched). */
  async problem(spec: JupyterKernelSpec): Promise<string | undefined> {
    if (!this.forks(spec)) return undefined;
    const parent = await this.parentFor(spec);
    return parent ? undefined : this.failures.get(spec.name);
  }

  /** Why the warm parent on `python` that runPlainPython forks from could not start, if it could not. */
  async plainProblem(python: string): Promise<string | undefined> {
    if (!this.plainForks()) return undefined;
    const parent = await this.plainParentFor(python);
    return parent ? undefined : this.failures.get(plainKey(python));
  }

  /** End the kernels started ahead and not taken, and the warm parents (their running children are killed with them). */
  async close(): Promise<void> {
    this.closed = true;
    const ahead = await Promise.all(this.ahead.values());
    this.ahead.clear();
    await Promise.all(ahead.map((kernel) => kernel && discard(kernel)));
    const parents = await Promise.all(this.parents.values());
    this.parents.clear();
    await Promise.all(parents.map((p) => p?.close()));
  }

  private readonly failures = new Map<string, string>();

  private plainForks(): boolean {
    return this.options.fork !== false && process.platform !== 'win32';
  }

  private parentFor(spec: JupyterKernelSpec): Promise<WarmParent | undefined> {
    const env = kernelEnvironment(spec);
    return this.startedParent(spec.name, kernelInterpreter(spec, env)!, this.options.preload ?? [], env);
  }

  private plainParentFor(python: string): Promise<WarmParent | undefined> {
    const env = kernelEnvironment({ env: {} });
    return this.startedParent(plainKey(python), python, ['--no-kernel', ...(this.options.preload ?? [])], env);
  }

  /** The warm parent known as `key`, started on first use; undefined (and why in `failures`) if it could not start. */
  private startedParent(
    key: string,
    python: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<WarmParent | undefined> {
    let parent = this.parents.get(key);
    if (!parent) {
      parent = WarmParent.start(python, args, { cwd: this.options.cwd, env }).catch((e: Error) => {
        this.failures.set(key, e.message);
        return undefined;
      });
      this.parents.set(key, parent);
    }
    return parent;
  }
}

/** Where the warm parent of the embedded executor's interpreter is kept (apart from kernelspec names). */
function plainKey(python: string): string {
  return `\0plain ${python}`;
}

/** What makes a kernel the one a launch asks for: its kernelspec, working directory and environment. */
function aheadKey(spec: JupyterKernelSpec, options: LaunchOptions): string {
  const env = Object.entries(options.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([spec.name, spec.resourceDir, spec.argv, options.cwd ?? process.cwd(), env]);
}

/** End a kernel nobody connected to: no code of anyone ran in it, so nothing is lost. */
async function discard(kernel: RunningKernel): Promise<void> {
  kernel.signal('SIGKILL');
  await kernel.exited;
  kernel.removeConnectionFile();
}

/** A kernelspec's arguments after `python -m ipykernel_launcher`, when it starts ipykernel that way. */
function ipykernelArguments(spec: Pick<JupyterKernelSpec, 'argv' | 'language'>): string[] | undefined {
  const [, flag, module, ...rest] = spec.argv;
  if (spec.language.toLowerCase() !== 'python' || flag !== '-m' || !IPYKERNEL_MODULES.has(module ?? ''))
    return undefined;
  return rest;
}

/** One warm parent process (nbpipe_zygote.py) and the children it forked. */
class WarmParent {
  private readonly waiting: ((pid: number | undefined) => void)[] = [];
  private readonly children = new Map<number, (status: ExitStatus) => void>();
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcess) {}

  /** Resolves once the parent has imported everything and is ready to fork; rejects saying why it is not. */
  static start(
    python: string,
    args: string[],
    options: { cwd?: string; env: Record<string, string> },
  ): Promise<WarmParent> {
    const child = spawnProcessGroup(python, ['-u', ZYGOTE, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const parent = new WarmParent(child);
    return new Promise((resolve, reject) => {
      let ready = false;
      child.stderr!.on(
        'data',
        (chunk: Buffer) => (parent.stderr = (parent.stderr + chunk.toString('utf8')).slice(-ZYGOTE_STDERR_BYTES)),
      );
      child.stdin!.on('error', () => {}); // a parent that died: reported by its exit
      child.on('error', (e) => reject(new Error(`cannot run ${python}: ${e.message}`)));
      createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
        const message = JSON.parse(line) as {
          ready?: true;
          pid?: number;
          exited?: number;
          code: number | null;
          signal: number | null;
        };
        if (message.ready) {
          ready = true;
          resolve(parent);
        } else if (message.pid !== undefined) parent.waiting.shift()?.(message.pid);
        else if (message.exited !== undefined)
          parent.childExited(message.exited, { code: message.code, signal: signalName(message.signal) });
      });
      child.on('close', (code, signal) => {
        parent.exited = true;
        for (const answer of parent.waiting.splice(0)) answer(undefined);
        // its children's watchers kill them as it goes
        for (const pid of [...parent.children.keys()]) parent.childExited(pid, { code: null, signal: 'SIGKILL' });
        if (!ready) {
          const last = parent.stderr.trim().split('\n').pop();
          reject(
            new Error(
              `the warm parent ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${last ? ` (${last})` : ''}`,
            ),
          );
        }
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Fork a child for `request`; undefined if the parent is gone. */
  fork(request: ForkRequest): Promise<ForkedProcess | undefined> {
    if (this.exited) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting.push((pid) => {
        if (pid === undefined) return resolve(undefined);
        const exited = new Promise<ExitStatus>((settle) => this.children.set(pid, settle));
        resolve({ pid, exited });
      });
      this.child.stdin!.write(JSON.stringify(request) + '\n');
    });
  }

  /** End of file on its stdin: it exits, and its children's watchers kill them. */
  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin!.end();
    return closed;
  }

  private childExited(pid: number, status: ExitStatus): void {
    this.children.get(pid)?.(status);
    this.children.delete(pid);
  }
}

function signalName(signal: number | null): NodeJS.Signals | null {
  if (signal === null) return null;
  const entry = Object.entries(constants.signals).find(([, number]) => number === signal);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

/** A kernel forked by a warm parent; its output goes to a file in its runtime directory. */
class ForkedKernel implements RunningKernel {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;
  readonly spawnError = undefined;

  constructor(
    child: ForkedProcess,
    readonly connection: ConnectionInfo,
    private readonly runtimeDir: string,
    private readonly output: string,
  ) {
    this.pid = child.pid;
    this.exited = child.exited.then((status) => (this.exitStatus = status));
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  get outputTail(): string {
    return readFileTail(this.output, OUTPUT_TAIL_BYTES);
  }

  get outputMark(): number {
    return statSync(this.output, { throwIfNoEntry: false })?.size ?? 0;
  }

  outputSince(mark: number): string {
    return readFileTail(this.output, OUTPUT_TAIL_BYTES, mark);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) signalGroup(this.pid, signal);
  }

  removeConnectionFile(): void {
    rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}
