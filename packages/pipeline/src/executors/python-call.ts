import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelInterpreter, type JupyterKernelSpec } from '@nbpipe/kernel';
import { spawnTaskProcess, stopOnAbort, taskEnvironment, waitForExit } from './process.js';
import { taskKernel } from './interpreter.js';
import { pythonCommand } from './python.js';
import { TaskFailure, type TaskJob } from './registry.js';

/** A dotted path to a python function (`pkg.module.function`): at least one dot, identifiers only. */
export function isDottedFunction(text: string): boolean {
  return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(text);
}

// Imports the function with the project folder first on sys.path and calls it with keyword
// arguments; `select` passes only the ones its signature accepts (on_finish hooks take a subset).
const CALLER = `
import importlib, inspect, json, sys, traceback
request = json.loads(sys.stdin.read())
sys.path.insert(0, request["root"])
module_name, _, function_name = request["function"].rpartition(".")
try:
    function = getattr(importlib.import_module(module_name), function_name)
except (ImportError, AttributeError) as e:
    print(f"cannot import {request['function']}: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(3)
kwargs = request["kwargs"]
if request["select"]:
    parameters = inspect.signature(function).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in parameters}
try:
    function(**kwargs)
except BaseException:
    traceback.print_exc()
    sys.exit(1)
`;

export interface PythonCall {
  /** `module.function`, imported with the project root on sys.path. */
  function: string;
  kwargs: Record<string, unknown>;
  /** Pass only the keyword arguments the function declares (or all of them with `**kwargs`). */
  select: boolean;
}

/**
 * Call a python function in a fresh process of the task's interpreter (taskPython: its kernel's), in
 * the project root with the task's environment; its output goes to the task's log. With the run's
 * warm parent for that kernel (README "Fresh kernels") the process is forked from it, else started.
 * Rejects with a TaskFailure whose message gives the exception's last line (e.g. `AssertionError: 3
 * NULLs in price`) and the interpreter.
 */
export async function callPython(job: TaskJob, call: PythonCall, what: string): Promise<void> {
  const kernel = await taskKernel(job);
  const python = (kernel && kernelInterpreter(kernel)) ?? pythonCommand();
  const request = JSON.stringify({ root: job.root, function: call.function, kwargs: call.kwargs, select: call.select });
  const env = { ...taskEnvironment(job), PYTHONIOENCODING: 'utf-8' };
  const logStart = statSync(job.log, { throwIfNoEntry: false })?.size ?? 0;
  let exit = kernel && job.kernels?.forks(kernel) ? await callForked(job, kernel, request, env) : undefined;
  exit ??= await callSpawned(job, python, request, env, what);
  if (job.signal.aborted) throw new TaskFailure('interrupted');
  if (exit.code === 0) return;
  const lines = readFileSync(job.log, 'utf8').slice(logStart).trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const why = exit.code === 3 ? last : exit.signal ? `killed by ${exit.signal}` : last || `exited with code ${exit.code}`;
  throw new TaskFailure(`${what} failed: ${why} (python: ${python})`, lines.slice(-30).join('\n'));
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The call in a child of the kernel's warm parent, writing straight to the log; undefined if the warm parent is gone. */
async function callForked(job: TaskJob, kernel: JupyterKernelSpec, request: string, env: Record<string, string>): Promise<Exit | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-call-'));
  try {
    const stdin = join(dir, 'request.json');
    writeFileSync(stdin, request, { mode: 0o600 });
    const child = await job.kernels!.runPython(kernel, { code: CALLER, stdin, cwd: job.root, env, output: job.log });
    if (!child) return undefined;
    job.started?.(child.pid);
    return await stopOnAbort(job.signal, child.pid, child.exited);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function callSpawned(job: TaskJob, python: string, request: string, env: Record<string, string>, what: string): Promise<Exit> {
  const child = spawnTaskProcess(python, ['-c', CALLER], { cwd: job.root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }, job);
  const collect = (chunk: Buffer) => appendFileSync(job.log, chunk);
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.stdin!.on('error', () => {}); // an interpreter that died at once: reported by its exit
  child.stdin!.end(request);
  try {
    return await waitForExit(child);
  } catch (e) {
    throw new TaskFailure(`${what}: cannot run ${python}: ${(e as Error).message} (the Python kernel's interpreter, else NBPIPE_PYTHON)`);
  }
}
