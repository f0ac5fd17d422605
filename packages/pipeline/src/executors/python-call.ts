import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelInterpreter, type JupyterKernelSpec } from '@nbpipe/kernel';
import { spawnTaskProcess, stopOnAbort, taskEnvironment, waitForExit } from './process.js';
import { taskKernel } from './interpreter.js';
import { pythonCommand } from './python.js';
import type { PythonHook } from '../spec.js';
import { TaskFailure, type TaskJob } from './job.js';

/** A dotted path to a python function (`pkg.module.function`): at least one dot, identifiers only. */
export function isDottedFunction(text: string): boolean {
  return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(text);
}

// Imports the function with the project folder first on sys.path and calls it with keyword
// arguments. Hooks (`select`) get the injectable arguments they declare without a default, as
// Ploomber injects them (all of them with `**kwargs`), plus their `extra` keyword arguments; `task` and `dag` become objects with
// attributes (`task.product`, `dag['fit'].params`). With an unserializer, each upstream product is
// read back first; with a serializer, the function's return value is written to the product; with
// `methods`, those of the returned object are called (a storage client's upload and download).
const CALLER = `
import importlib, inspect, json, sys, traceback, types
request = json.loads(sys.stdin.read())
sys.path.insert(0, request["root"])
def load(dotted):
    module_name, _, function_name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as e:
        print(f"cannot import {dotted}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(3)
function = load(request["function"])
serializer = request.get("serializer") and load(request["serializer"]["function"])
unserializer = request.get("unserializer") and load(request["unserializer"]["function"])
kwargs = request["kwargs"]
if request["select"]:
    parameters = inspect.signature(function).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in parameters and parameters[k].default is inspect.Parameter.empty}
    if "task" in kwargs:
        kwargs["task"] = types.SimpleNamespace(**kwargs["task"])
    if "dag" in kwargs:
        kwargs["dag"] = {name: types.SimpleNamespace(**task) for name, task in kwargs["dag"].items()}
    kwargs.update(request.get("extra", {}))
try:
    if unserializer:
        read = lambda product: unserializer(product, **request["unserializer"]["kwargs"])
        groups = request["unserializer"]["groups"]
        kwargs["upstream"] = {k: {t: read(p) for t, p in v.items()} if k in groups else read(v) for k, v in kwargs["upstream"].items()}
    result = function(**kwargs)
    for name, *args in request.get("methods", []):
        getattr(result, name)(*args)
    if serializer:
        if result is None:
            raise ValueError(f"{request['function']} returned None: with a serializer, a task returns what to write to its product")
        serializer(result, request["serializer"]["product"], **request["serializer"]["kwargs"])
except BaseException:
    traceback.print_exc()
    sys.exit(1)
`;

export interface PythonCall {
  /** `module.function`, imported with the project root on sys.path. */
  function: string;
  kwargs: Record<string, unknown>;
  /** A hook: pass only the arguments of `kwargs` the function declares without a default, then all of `extra`. */
  select: boolean;
  extra?: Record<string, unknown>;
  /** Write the function's return value to `product` with `serializer(value, product, **kwargs)`. */
  serializer?: PythonHook & { product: unknown };
  /** Then call methods of what the function returned, in order: `[name, ...args]` (a client's `upload(path)`). */
  methods?: [string, ...unknown[]][];
  /** Read each upstream product with `unserializer(product, **kwargs)`; `groups` are wildcard keys, mappings of task names to products. */
  unserializer?: PythonHook & { groups: string[] };
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
  const request = JSON.stringify({ root: job.root, ...call });
  const env = { ...taskEnvironment(job), PYTHONIOENCODING: 'utf-8' };
  const logStart = statSync(job.log, { throwIfNoEntry: false })?.size ?? 0;
  let exit = kernel && job.kernels?.forks(kernel) ? await callForked(job, kernel, request, env) : undefined;
  exit ??= await callSpawned(job, python, request, env, what);
  if (job.signal.aborted) throw new TaskFailure('interrupted');
  if (exit.code === 0) return;
  const lines = readFileSync(job.log, 'utf8').slice(logStart).trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const why =
    exit.code === 3 ? last : exit.signal ? `killed by ${exit.signal}` : last || `exited with code ${exit.code}`;
  throw new TaskFailure(`${what} failed: ${why} (python: ${python})`, lines.slice(-30).join('\n'));
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The call in a child of the kernel's warm parent, writing straight to the log; undefined if the warm parent is gone. */
async function callForked(
  job: TaskJob,
  kernel: JupyterKernelSpec,
  request: string,
  env: Record<string, string>,
): Promise<Exit | undefined> {
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

async function callSpawned(
  job: TaskJob,
  python: string,
  request: string,
  env: Record<string, string>,
  what: string,
): Promise<Exit> {
  const child = spawnTaskProcess(
    python,
    ['-c', CALLER],
    { cwd: job.root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
    job,
  );
  const collect = (chunk: Buffer) => appendFileSync(job.log, chunk);
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.stdin!.on('error', () => {}); // an interpreter that died at once: reported by its exit
  child.stdin!.end(request);
  try {
    return await waitForExit(child);
  } catch (e) {
    throw new TaskFailure(
      `${what}: cannot run ${python}: ${(e as Error).message} (the Python kernel's interpreter, else NBPIPE_PYTHON)`,
    );
  }
}
