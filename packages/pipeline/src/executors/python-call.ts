import { appendFileSync } from 'node:fs';
import { spawnTaskProcess, taskEnvironment, waitForExit } from './process.js';
import { taskPython } from './interpreter.js';
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
  child.stdin!.end(JSON.stringify({ root: job.root, function: call.function, kwargs: call.kwargs, select: call.select }));
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
