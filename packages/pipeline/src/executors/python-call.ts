import { appendFileSync } from 'node:fs';
import { spawnTaskProcess, taskEnvironment, waitForExit } from './process.js';
import { taskPython } from './interpreter.js';
import type { PythonHook } from '../spec.js';
import { TaskFailure, type TaskJob } from './registry.js';

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
 * Call a python function in a subprocess of the task's interpreter (taskPython: its kernel's), in
 * the project root with the task's environment; its output goes to the task's log. Rejects with a
 * TaskFailure whose message gives the exception's last line (e.g. `AssertionError: 3 NULLs in price`)
 * and the interpreter.
 */
export async function callPython(job: TaskJob, call: PythonCall, what: string): Promise<void> {
  const python = await taskPython(job);
  const child = spawnTaskProcess(
    python,
    ['-c', CALLER],
    { cwd: job.root, env: { ...process.env, ...taskEnvironment(job), PYTHONIOENCODING: 'utf-8' }, stdio: ['pipe', 'pipe', 'pipe'] },
    job,
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    appendFileSync(job.log, text);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.stdin!.on('error', () => {}); // an interpreter that died at once: reported by its exit
  child.stdin!.end(JSON.stringify({ root: job.root, ...call }));
  let exit;
  try {
    exit = await waitForExit(child);
  } catch (e) {
    throw new TaskFailure(`${what}: cannot run ${python}: ${(e as Error).message} (the Python kernel's interpreter, else NBPIPE_PYTHON)`);
  }
  if (job.signal.aborted) throw new TaskFailure('interrupted');
  if (exit.code === 0) return;
  const lines = output.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const why = exit.code === 3 ? last : exit.signal ? `killed by ${exit.signal}` : last || `exited with code ${exit.code}`;
  throw new TaskFailure(`${what} failed: ${why} (python: ${python})`, lines.slice(-30).join('\n'));
}
