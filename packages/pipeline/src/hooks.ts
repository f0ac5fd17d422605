import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskFailure, type Executor, type TaskJob } from './executors/job.js';
import { resolveProduct, upstreamMapping, type Pipeline } from './project.js';
import type { PipelineHooks } from './spec.js';

/**
 * Run a task with its hooks, in Ploomber's order: `on_render` just before it, then the task, then
 * `on_finish`; `on_failure` after the task (not `on_finish`) raised. A failing hook fails the task.
 */
export async function runTaskWithHooks(job: TaskJob, executor: Executor): Promise<void> {
  const { spec } = job;
  // Hooks call Python through the kernel package: loaded only for a task that has hooks (scripts/startup-rules.mjs).
  const hooks = () => import('./executors/on-finish.js');
  if (spec.onRender) await (await hooks()).callTaskHook(job, spec.onRender, 'on_render');
  try {
    if (spec.staticAnalysis === 'strict') await (await import('./executors/static-analysis.js')).checkSignature(job);
    await executor.run(job);
    if (job.signal.aborted) throw new TaskFailure('interrupted');
  } catch (e) {
    if (spec.onFailure && !job.signal.aborted) {
      const { callTaskHook } = await hooks();
      await callTaskHook(job, spec.onFailure, 'on_failure').catch((hookError: Error) =>
        appendFileSync(job.log, `${hookError.message}\n`),
      );
    }
    throw e;
  }
  // A failing check fails the task: its products are not recorded, so it runs again next time.
  if (spec.onFinish) await (await hooks()).runOnFinish(job, spec.onFinish);
}

/** What a pipeline-level hook may ask for, besides its own keyword arguments: `dag` always, `report` and `traceback` after a run. */
export interface PipelineHookArguments {
  /** One row per task, as Ploomber's build report: did it run, and how long it took in seconds. */
  report?: { name: string; ran: boolean; elapsed: number }[];
  /** Why the run failed: `{build: text}`. */
  traceback?: { build: string };
}

/**
 * Call a pipeline-level hook (`on_render` before any task runs, `on_finish` after a run that failed
 * nothing, `on_failure` after one that did) on the Python kernel's interpreter, as a function task
 * would be. `dag` maps task names to objects with `name`, `source`, `product`, `params`, `upstream`.
 * Its output goes to `.nbpipe/logs/pipeline.HOOK.log`. Returns why it failed, or undefined.
 */
export async function runPipelineHook(
  p: Pipeline,
  name: keyof PipelineHooks,
  args: PipelineHookArguments,
  signal: AbortSignal,
): Promise<string | undefined> {
  const hook = p.spec.hooks[name];
  if (!hook) return undefined;
  const dag = Object.fromEntries(
    p.tasks.map((t) => [
      t.name,
      {
        name: t.name,
        source: join(p.root, t.spec.source),
        product: resolveProduct(p.root, t.spec.product),
        params: t.spec.params,
        upstream: upstreamMapping(p, t),
      },
    ]),
  );
  mkdirSync(join(p.state.dir, 'logs'), { recursive: true });
  const job: TaskJob = {
    name: `pipeline ${name}`,
    // The interpreter is chosen as for a function task: the Python kernel's.
    spec: {
      name: `pipeline ${name}`,
      source: p.file,
      kind: 'callable',
      product: {},
      params: {},
      paramsHash: '',
      definitionHash: '',
      inputs: [],
      line: 1,
    },
    root: p.root,
    source: p.file,
    product: {},
    upstream: {},
    params: {},
    log: join(p.state.dir, 'logs', `pipeline.${name}.log`),
    signal,
    label: p.label,
  };
  writeFileSync(job.log, '');
  try {
    const { callPython } = await import('./executors/python-call.js');
    await callPython(
      job,
      { function: hook.function, kwargs: { dag, ...args }, select: true, extra: hook.kwargs },
      `pipeline ${name} ${hook.function}`,
    );
    return undefined;
  } catch (e) {
    if (e instanceof TaskFailure) return e.message;
    throw e;
  }
}

/**
 * The pipeline's hook at the end of a run that was not interrupted: `on_failure` with why the build failed when a
 * task did, else `on_finish` with the report. Returns why the hook failed, or undefined.
 */
export async function runEndOfRunHook(
  p: Pipeline,
  failed: { name: string; message: string }[],
  report: NonNullable<PipelineHookArguments['report']>,
  signal: AbortSignal,
): Promise<string | undefined> {
  const build = failed.map((f) => `task ${f.name} failed: ${f.message}`).join('\n');
  return build
    ? runPipelineHook(p, 'on_failure', { traceback: { build } }, signal)
    : runPipelineHook(p, 'on_finish', { report }, signal);
}
