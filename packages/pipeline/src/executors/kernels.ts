import { chooseKernelSpec, KernelFactory, type KernelFactoryOptions } from '@nbpipe/kernel';
import type { PythonHook, TaskSpec } from '../spec.js';
import { isDottedFunction } from './python-call.js';
import { executorName } from './executor-name.js';
import { pythonCommand } from './python.js';

/** Whether a task starts a kernel or calls python: a notebook on a Jupyter kernel or on the embedded executor, a function task, a python hook. */
function usesKernel(spec: TaskSpec): boolean {
  const pythonHook = (hook: string | PythonHook | undefined) =>
    hook !== undefined && (typeof hook !== 'string' || isDottedFunction(hook));
  return (
    spec.kind !== 'shell' || pythonHook(spec.onFinish) || spec.onRender !== undefined || spec.onFailure !== undefined
  );
}

/** Whether a notebook task runs on the embedded executor (`executor: python`). */
function usesEmbedded(spec: TaskSpec, notebookExecutor: string | undefined): boolean {
  return spec.kind === 'notebook' && executorName(spec, notebookExecutor) === 'python';
}

/**
 * The KernelFactory of a run of `tasks` (README "Fresh kernels"), with the warm parent of the Python kernel
 * started in the background (most tasks use that kernelspec, and the others start theirs on first use), and
 * that of the embedded executor's interpreter when a task runs on it. Undefined when no task needs either.
 */
export function startKernels(
  tasks: TaskSpec[],
  root: string,
  options: KernelFactoryOptions = {},
  notebookExecutor?: string,
): KernelFactory | undefined {
  if (!tasks.some(usesKernel)) return undefined;
  const kernels = new KernelFactory({ ...options, cwd: root });
  if (tasks.some((spec) => usesEmbedded(spec, notebookExecutor))) kernels.preparePlain(pythonCommand());
  // the embedded executor's tasks, and their hooks, need no Jupyter kernel
  if (!tasks.some((spec) => usesKernel(spec) && !usesEmbedded(spec, notebookExecutor))) return kernels;
  try {
    kernels.prepare(chooseKernelSpec(undefined, { language: 'python' }));
  } catch {
    // no Python kernel installed: tasks say so when they need one
  }
  return kernels;
}
