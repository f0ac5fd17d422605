import { readFileSync } from 'node:fs';
import type { Notebook } from '@nbpipe/nbformat';
import { chooseKernelSpec, isKernelError, kernelInterpreter, type JupyterKernelSpec } from '@nbpipe/kernel';
import { readNotebookSource, sourceLanguage } from '../sources.js';
import { pythonCommand } from './python.js';
import { executorName } from './executor-name.js';
import type { TaskJob } from './job.js';

/**
 * The kernel a task runs on: `kernelspec_name` wins, then the notebook's kernelspec, then a kernel for
 * the source's language (Python for a task without a notebook).
 */
export function kernelFor(nb: Notebook | undefined, job: Pick<TaskJob, 'spec' | 'source'>): JupyterKernelSpec {
  return chooseKernelSpec(nb, {
    kernelName: job.spec.kernelName,
    language: nb ? sourceLanguage(job.source, nb) : 'python',
  });
}

/**
 * The interpreter of the Python a task starts besides its notebook (`on_finish` functions, function
 * tasks): the one its notebook's kernel runs on, so the check sees the packages the notebook saw; for
 * a task without a notebook, the Python kernel's. Notebooks on the embedded executor, and tasks with
 * no Python kernel installed, use the embedded executor's interpreter ($NBPIPE_PYTHON, else python3).
 */
export async function taskPython(
  job: Pick<TaskJob, 'spec' | 'source' | 'label' | 'notebookExecutor'>,
): Promise<string> {
  const kernel = await taskKernel(job);
  return (kernel && kernelInterpreter(kernel)) ?? pythonCommand();
}

/** The kernel whose interpreter taskPython is: undefined for the embedded executor, or when no kernel fits. */
export async function taskKernel(
  job: Pick<TaskJob, 'spec' | 'source' | 'label' | 'notebookExecutor'>,
): Promise<JupyterKernelSpec | undefined> {
  // A task without a notebook follows how the project's notebooks run.
  const notebookExecutor = executorName(
    job.spec.kind === 'notebook' ? job.spec : { ...job.spec, kind: 'notebook', executor: undefined },
    job.notebookExecutor,
  );
  if (notebookExecutor === 'python') return undefined;
  const nb =
    job.spec.kind === 'notebook'
      ? await readNotebookSource(job.label(job.source), readFileSync(job.source, 'utf8'))
      : undefined;
  try {
    return kernelFor(nb, job);
  } catch (e) {
    if (isKernelError(e)) return undefined;
    throw e;
  }
}
