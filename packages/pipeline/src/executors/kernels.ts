import { chooseKernelSpec, KernelFactory, type KernelFactoryOptions } from '@nbpipe/kernel';
import type { PythonHook, TaskSpec } from '../spec.js';
import { isDottedFunction } from './python-call.js';
import { executorName } from './executor-name.js';

/** Whether a task starts a kernel or calls python: a notebook on a Jupyter kernel, a function task, a python hook. */
function usesKernel(spec: TaskSpec, notebookExecutor: string | undefined): boolean {
  const pythonHook = (hook: string | PythonHook | undefined) =>
    hook !== undefined && (typeof hook !== 'string' || isDottedFunction(hook));
  if (spec.kind === 'callable' || pythonHook(spec.onFinish) || spec.onRender || spec.onFailure) return true;
  return spec.kind === 'notebook' && executorName(spec, notebookExecutor) !== 'python';
}

/**
 * The KernelFactory of a run of `tasks` (README "Fresh kernels"), with the warm parent of the Python kernel
 * started in the background: most tasks use that kernelspec, and the others start theirs on first use.
 * Undefined when no task needs a kernel.
 */
export function startKernels(
  tasks: TaskSpec[],
  root: string,
  options: KernelFactoryOptions = {},
  notebookExecutor?: string,
): KernelFactory | undefined {
  if (!tasks.some((spec) => usesKernel(spec, notebookExecutor))) return undefined;
  const kernels = new KernelFactory({ ...options, cwd: root });
  try {
    kernels.prepare(chooseKernelSpec(undefined, { language: 'python' }));
  } catch {
    // no Python kernel installed: tasks say so when they need one
  }
  return kernels;
}
