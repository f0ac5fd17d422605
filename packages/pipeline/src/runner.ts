import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readHead } from '@nbpipe/git';
import type { KernelFactory, KernelFactoryOptions } from '@nbpipe/kernel';
import { PipelineError } from './errors.js';
import { productPaths, type Pipeline, type Task } from './project.js';
import { evaluateTask, type TaskStatus } from './status.js';
import { runEndOfRunHook, runPipelineHook } from './hooks.js';
import { RunRecorder, saveRunEnd, type RunEvent, type RunSummary } from './run-record.js';
import { TaskRunner } from './run-task.js';
import { Cancellation, schedule, type Outcome } from './run-schedule.js';
import type { KernelsAhead } from './executors/kernels-ahead.js';

export type { RunEvent, RunSummary } from './run-record.js';

export interface RunOptions {
  /** Run these tasks (and their outdated upstream, unless `only`); default: the whole pipeline. */
  targets?: string[];
  /** With targets: run just them, not their upstream. */
  only?: boolean;
  /** Run the targets (or every task) even if up to date. */
  force?: boolean;
  /** `run --changed`: exactly these tasks run (they changed since the base commit, or depend on one that did). */
  changed?: { tasks: Set<string>; since: string };
  /** Tasks running at once (>= 1). */
  jobs: number;
  /** Call the pipeline-level `on_render`, `on_finish` and `on_failure` hooks (default true; false in a Slurm job). */
  pipelineHooks?: boolean;
  /** Keep starting independent tasks after a failure. */
  keepGoing?: boolean;
  onEvent?: (event: RunEvent) => void;
  /** Aborting stops running tasks (their processes are killed) and starts no new ones. */
  signal?: AbortSignal;
  /** Executor of the notebook tasks that name none (`pipeline.executor` in the configuration; default: auto). */
  notebookExecutor?: string;
  /** Cap of each stream output in an executed notebook (`pipeline.maxOutputChars`; $NBPIPE_MAX_OUTPUT_CHARS wins). */
  maxOutputChars?: number;
  /** How the run's kernels start: forked from a warm parent (default) or launched, and what the warm parent preloads (README "Fresh kernels"). */
  kernels?: KernelFactoryOptions;
}

export interface PlannedTask {
  name: string;
  run: boolean;
  /** Why it runs, or why not (`up to date`, `not selected`). */
  reasons: string[];
}

/** Which tasks a run would start, with reasons, computed from the state (nothing is written). */
export function planRun(p: Pipeline, options: Omit<RunOptions, 'jobs' | 'onEvent' | 'signal'>): PlannedTask[] {
  return plan(p, options).map(({ status, run, reasons }) => ({ name: status.name, run, reasons }));
}

interface Step {
  task: Task;
  status: TaskStatus;
  run: boolean;
  forced: boolean;
  reasons: string[];
}

function plan(p: Pipeline, options: Omit<RunOptions, 'jobs' | 'onEvent' | 'signal'>): Step[] {
  for (const name of options.targets ?? [])
    if (!p.byName.has(name))
      throw new PipelineError(
        `no task named "${name}" (tasks: ${p.tasks
          .slice(0, 20)
          .map((t) => t.name)
          .join(', ')}${p.tasks.length > 20 ? ', …' : ''})`,
      );
  let selected: Set<string>;
  if (options.targets?.length) {
    selected = new Set(options.targets);
    if (!options.only)
      for (let i = p.tasks.length - 1; i >= 0; i--) {
        const task = p.tasks[i]!;
        if (selected.has(task.name)) for (const up of task.upstream) selected.add(up);
      }
  } else selected = new Set(p.tasks.map((t) => t.name));
  if (options.changed) selected = new Set([...selected].filter((n) => options.changed!.tasks.has(n)));
  const forced = new Set<string>(options.changed ? selected : []);
  if (options.force) for (const name of options.targets?.length ? options.targets : selected) forced.add(name);

  const willRun = new Set<string>();
  return p.tasks.map((task) => {
    const status = evaluateTask(p, task, (name) => willRun.has(name));
    const isSelected = selected.has(task.name);
    const isForced = forced.has(task.name);
    const run = isSelected && (isForced || status.outdated);
    if (run) willRun.add(task.name);
    let reasons: string[];
    if (!isSelected) reasons = [options.changed ? `unchanged since ${options.changed.since}` : 'not selected'];
    else if (status.outdated) reasons = status.reasons;
    else if (isForced) reasons = [options.changed ? `changed since ${options.changed.since}` : 'forced'];
    else reasons = ['up to date'];
    return { task, status, run, forced: isForced, reasons };
  });
}

/** A file name for a task's log that any task name maps to without collisions. */
export function logName(name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 80);
  return safe === name ? `${name}.log` : `${safe}-${createHash('sha1').update(name).digest('hex').slice(0, 8)}.log`;
}

/**
 * Run the outdated (or selected) tasks in topological order, `jobs` at a time (run-schedule.ts). Each task's state is
 * written atomically as soon as it finishes (run-record.ts): products are recorded only for a task that succeeded
 * and created all of them. A failed task blocks its downstream; independent tasks go on only with `keepGoing`. The
 * pipeline must have been loaded with `lock: true`.
 */
export async function runPipeline(p: Pipeline, options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  let kernelsAhead: KernelsAhead | undefined;
  const emit = (event: RunEvent) => {
    kernelsAhead?.onEvent(event);
    options.onEvent?.(event);
  };
  const steps = plan(p, options);
  const head = p.repo ? readHead(p.repo).commit : undefined;
  const pending = steps.filter((s) => s.run);
  // The warm parent imports while the first tasks get ready; it belongs to this run and ends with it.
  const kernels = pending.length ? await startRunKernels(p, pending, options) : undefined;
  // The next tasks' kernels start while the current tasks run (README "Fresh kernels"), as many as run at once.
  if (kernels) kernelsAhead = await startKernelsAhead(p, pending, kernels, options);
  const cancellation = new Cancellation(options.signal);
  const recorder = new RunRecorder(p, head, emit);
  const { summary } = recorder;
  mkdirSync(join(p.state.dir, 'logs'), { recursive: true });
  const tasks = new TaskRunner({
    p,
    head,
    signal: cancellation.signal,
    kernels,
    notebookExecutor: options.notebookExecutor,
    maxOutputChars: options.maxOutputChars,
    emit,
    started: (name, pid) => recorder.processStarted(name, pid),
  });
  const planned = new Set(pending.map((s) => s.task.name));
  const runStep = (step: Step) => runPlannedStep(p, step, planned, { tasks, recorder, cancellation, options, emit });

  // A Slurm job runs one task of a run whose submitting process calls the pipeline's own hooks.
  const pipelineHooks = options.pipelineHooks ?? true;
  const renderFailure = pipelineHooks ? await runPipelineHook(p, 'on_render', {}, cancellation.signal) : undefined;
  if (renderFailure) {
    summary.hookFailure = renderFailure;
    cancellation.stop();
  }
  const outcomes = await schedule(pending, options.jobs, cancellation, runStep, (step, why) =>
    recorder.blocked(step.task.name, why),
  );
  if (!cancellation.interrupted && !renderFailure && pipelineHooks) {
    const report = recorder.report(
      steps.map((s) => s.task.name),
      outcomes,
    );
    summary.hookFailure = await runEndOfRunHook(p, summary.failed, report, cancellation.signal);
  }
  cancellation.dispose();
  summary.interrupted = cancellation.interrupted;
  await kernels?.close();

  summary.skipped.unshift(...steps.filter((s) => !s.run).map((s) => s.task.name));
  await saveRunEnd(p, options, summary, head);
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/** The kernels of a run's tasks (executors/kernels.ts), loaded only when some task runs. */
async function startRunKernels(p: Pipeline, pending: Step[], options: RunOptions) {
  const specs = pending.map((s) => s.task.spec);
  return (await import('./executors/kernels.js')).startKernels(
    specs,
    p.root,
    options.kernels,
    options.notebookExecutor,
  );
}

async function startKernelsAhead(
  p: Pipeline,
  pending: Step[],
  kernels: KernelFactory,
  options: RunOptions,
): Promise<KernelsAhead> {
  const { KernelsAhead } = await import('./executors/kernels-ahead.js');
  const tasks = pending.map((s) => s.task);
  return new KernelsAhead(p, tasks, kernels, Math.max(1, Math.floor(options.jobs)), options.notebookExecutor);
}

/** What running a planned step needs from its run. */
interface StepContext {
  tasks: TaskRunner;
  recorder: RunRecorder;
  cancellation: Cancellation;
  options: RunOptions;
  emit: (event: RunEvent) => void;
}

/** Run one planned step and record how it ended; without keepGoing, a failure stops the run. */
async function runPlannedStep(
  p: Pipeline,
  step: Step,
  planned: Set<string>,
  { tasks, recorder, cancellation, options, emit }: StepContext,
): Promise<Outcome> {
  const { task } = step;
  // Upstream tasks have just re-run: the fingerprint to record includes what they produced.
  const status = task.upstream.some((u) => planned.has(u)) ? evaluateTask(p, task, () => false) : step.status;
  const log = join(p.state.dir, 'logs', logName(task.name));
  const begin = Date.now();
  const t0 = performance.now();
  emit({ type: 'start', name: task.name, at: begin });
  const earlierPid = recorder.earlierProcess(task.name);
  if (earlierPid !== undefined) {
    // Its run died and this process escaped it: a second copy would write the same products.
    if (!options.keepGoing) cancellation.stop();
    recorder.refused(task.name, earlierPid, log);
    return 'failed';
  }
  try {
    await recorder.succeeded(task.name, await tasks.run({ task, status, forced: step.forced, log, begin, t0 }));
    return 'ok';
  } catch (e) {
    const durationMs = Math.round(performance.now() - t0);
    p.files.forget(productPaths(task.spec.product));
    if (cancellation.signal.aborted) await recorder.interrupted(task.name);
    else {
      if (!options.keepGoing) cancellation.stop();
      await recorder.failed(task.name, e, { begin, durationMs, log });
    }
    return 'failed';
  }
}
