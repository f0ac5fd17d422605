import { appendFileSync, readFileSync } from 'node:fs';
import type { Notebook, Output } from '@nbpipe/nbformat';
import {
  executeNotebook,
  isKernelError,
  markExecutionError,
  type JupyterKernelSpec,
  type LaunchOptions,
} from '@nbpipe/kernel';
import { readNotebookSource, sourceLanguage } from '../sources.js';
import { TaskFailure, type Executor, type TaskJob } from './job.js';
import { notebookProduct, notebookWriter } from './notebook-writers.js';
import { pythonExecutor } from './python.js';
import { maxOutputChars, taskEnvironment } from './process.js';
import { kernelFor } from './interpreter.js';

/** The values of the injected-parameters cell: `upstream` (when the task has any), `product`, then the params. */
export function injectedValues(job: Pick<TaskJob, 'product' | 'upstream' | 'params'>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (Object.keys(job.upstream).length) values.upstream = job.upstream;
  values.product = job.product;
  return Object.assign(values, job.params);
}

/** Where a task's kernel runs and the environment it gets (kernels started ahead are asked for with the same). */
export function kernelLaunchOptions(
  job: Pick<TaskJob, 'root' | 'name' | 'product' | 'upstream' | 'params'>,
): LaunchOptions {
  return { cwd: job.root, env: taskEnvironment(job) };
}

export async function readSource(job: Pick<TaskJob, 'source' | 'label'>): Promise<Notebook> {
  return readNotebookSource(job.label(job.source), readFileSync(job.source, 'utf8'));
}

async function runOnKernel(job: TaskJob, nb: Notebook, spec: JupyterKernelSpec): Promise<void> {
  const log = (text: string) => appendFileSync(job.log, text);
  log(`kernel: ${spec.name} (${spec.displayName})\n`);
  // streams reach the log whole and as they arrive: the notebook keeps at most maxOutputChars of each
  const onOutput = (_cellIndex: number, output: Output) => {
    if (output.output_type !== 'stream') return;
    log(output.text);
    if (job.spec.logOutput) process.stderr.write(output.text);
  };
  let run;
  try {
    run = await executeNotebook(nb, {
      kernelName: spec.name,
      parameters: injectedValues(job),
      ...kernelLaunchOptions(job),
      signal: job.signal,
      onOutput,
      maxStreamChars: maxOutputChars(job),
      launcher: job.kernels?.launch,
    });
  } catch (e) {
    if (isKernelError(e)) throw new TaskFailure(`${job.label(job.source)}: ${e.message}`, e.stderr);
    throw e;
  }
  if (job.signal.aborted) throw new TaskFailure('interrupted');
  const slow = await job.kernels?.problem(spec);
  if (slow) job.notice?.(`kernel "${spec.name}" is started for each task, not forked from a warm parent: ${slow}`);
  const failure = run.error;
  const nbPath = notebookProduct(job.product);
  if (nbPath)
    await notebookWriter(nbPath)!(
      failure ? markExecutionError(run.notebook, failure) : run.notebook,
      nbPath,
      job.spec.exportOptions,
    );
  if (failure) {
    const traceback = failure.traceback.join('\n');
    if (traceback) log(traceback + '\n');
    const cause = { died: 'the kernel died: ', timeout: 'timed out: ', lost: 'outputs lost: ', error: '', aborted: '' }[
      failure.kind
    ];
    throw new TaskFailure(`${job.label(job.source)}: ${cause}${failure.message}`, traceback || undefined);
  }
}

/** Runs a notebook task top to bottom on a fresh Jupyter kernel (@nbpipe/kernel); the executed notebook is the `nb` product. */
export const jupyterExecutor: Executor = {
  async run(job) {
    const nb = await readSource(job);
    let spec: JupyterKernelSpec;
    try {
      spec = kernelFor(nb, job);
    } catch (e) {
      if (isKernelError(e)) throw new TaskFailure(`${job.label(job.source)}: ${e.message}`);
      throw e;
    }
    await runOnKernel(job, nb, spec);
  },
};

/**
 * The default for notebook tasks: a Jupyter kernel when one matches the notebook, else (Python
 * sources only) the embedded python executor, with a notice saying so.
 */
export const autoExecutor: Executor = {
  async run(job) {
    const nb = await readSource(job);
    let spec: JupyterKernelSpec | undefined;
    try {
      spec = kernelFor(nb, job);
    } catch (e) {
      if (!(isKernelError(e) && e.code === 'NO_KERNELSPEC'))
        throw isKernelError(e) ? new TaskFailure(`${job.label(job.source)}: ${e.message}`) : e;
      if (sourceLanguage(job.source, nb) !== 'python') throw new TaskFailure(`${job.label(job.source)}: ${e.message}`);
    }
    if (spec) return runOnKernel(job, nb, spec);
    job.notice?.(
      'no Jupyter kernel for Python is installed: notebook tasks run on the embedded python executor (install ipykernel, or set `executor: python` to silence this)',
    );
    return pythonExecutor.run(job);
  },
};
