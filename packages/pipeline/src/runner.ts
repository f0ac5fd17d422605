import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readHead } from '@nbpipe/git';
import type { KernelFactoryOptions } from '@nbpipe/kernel';
import { PipelineError } from './errors.js';
import { loadExecutor } from './executors/registry.js';
import { executorName } from './executors/executor-name.js';
import { TaskFailure, type TaskJob } from './executors/job.js';
import { productPaths, resolveProduct, upstreamMapping, type Pipeline, type Task } from './project.js';
import { evaluateTask, fingerprintOf, productDigests, upstreamDigest, type TaskStatus } from './status.js';
import { isRunning, taskProcess, type TaskRecord } from './state.js';
import { syncSourcePair, type SourcePair } from './pairs.js';
import { runEndOfRunHook, runPipelineHook, runTaskWithHooks } from './hooks.js';
import type { KernelsAhead } from './executors/kernels-ahead.js';

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

export type RunEvent =
  | { type: 'start'; name: string; at: number }
  | { type: 'finish'; name: string; durationMs: number }
  | { type: 'fail'; name: string; durationMs: number; message: string; details?: string; log: string }
  /** A planned task that did not run: its upstream failed, or the run stopped. */
  | { type: 'skip'; name: string; why: string }
  /** Something the user should know about how a task runs (each message once per run). */
  | { type: 'notice'; name: string; message: string };

export interface RunSummary {
  ran: { name: string; durationMs: number }[];
  /** Not run: up to date, or not selected. */
  skipped: string[];
  failed: { name: string; message: string; log: string }[];
  /** Not run because an upstream task failed (or the run stopped). */
  blocked: string[];
  durationMs: number;
  interrupted: boolean;
  /** A pipeline-level hook (on_render, on_finish, on_failure) that failed, and why: the run fails. */
  hookFailure?: string;
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
 * Run the outdated (or selected) tasks in topological order, `jobs` at a time. Each task's state is
 * written atomically as soon as it finishes: products are recorded only for a task that succeeded
 * and created all of them. A failed task blocks its downstream; independent tasks go on only with
 * `keepGoing`. The pipeline must have been loaded with `lock: true`.
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
  const summary: RunSummary = { ran: [], skipped: [], failed: [], blocked: [], durationMs: 0, interrupted: false };
  const pending = steps.filter((s) => s.run);
  const planned = new Set(pending.map((s) => s.task.name));
  // The warm parent imports while the first tasks get ready; it belongs to this run and ends with it.
  const kernels = pending.length
    ? (await import('./executors/kernels.js')).startKernels(
        pending.map((s) => s.task.spec),
        p.root,
        options.kernels,
        options.notebookExecutor,
      )
    : undefined;
  // The next tasks' kernels start while the current tasks run (README "Fresh kernels"), as many as run at once.
  if (kernels)
    kernelsAhead = new (await import('./executors/kernels-ahead.js')).KernelsAhead(
      p,
      pending.map((s) => s.task),
      kernels,
      Math.max(1, Math.floor(options.jobs)),
      options.notebookExecutor,
    );
  const finished = new Map<string, 'ok' | 'failed' | 'blocked'>();
  const running = new Map<string, Promise<void>>();
  let stop = false;
  const abort = new AbortController();
  const onAbort = () => {
    summary.interrupted = true;
    stop = true;
    abort.abort();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  mkdirSync(join(p.state.dir, 'logs'), { recursive: true });
  const noticed = new Set<string>();
  // A task that runs the cells of the paired member that was edited syncs its pair first; tasks sharing a source share one sync.
  const syncs = new Map<string, Promise<void>>();
  const syncPair = (task: Task, pair: SourcePair): Promise<void> => {
    let sync = syncs.get(task.spec.source);
    if (!sync) {
      sync = syncSourcePair(p.root, task.spec.source, pair, p.pairing).then((written) => {
        if (!written) return;
        p.files.forget(pair.members);
        const show = (member: string) => p.label(resolve(p.root, member));
        const others = pair.members.filter((m) => m !== pair.from).map(show);
        emit({
          type: 'notice',
          name: task.name,
          message: `synced ${others.join(', ')} from ${show(pair.from)} first, as nbpipe sync does`,
        });
      });
      syncs.set(task.spec.source, sync);
    }
    return sync;
  };

  const runStep = async (step: Step): Promise<void> => {
    const { task } = step;
    // Upstream tasks have just re-run: the fingerprint to record includes what they produced.
    const status = task.upstream.some((u) => planned.has(u)) ? evaluateTask(p, task, () => false) : step.status;
    const log = join(p.state.dir, 'logs', logName(task.name));
    const begin = Date.now();
    const t0 = performance.now();
    emit({ type: 'start', name: task.name, at: begin });
    const products = productPaths(task.spec.product);
    const running = (p.state.data.running ??= {});
    const previous = running[task.name];
    if (previous && isRunning(previous)) {
      // Its run died and this process escaped it: a second copy would write the same products.
      const message = `its process from an earlier run (pid ${previous.pid}) is still running: wait for it to end or stop it (kill -- -${previous.pid}), then run again`;
      finished.set(task.name, 'failed');
      summary.failed.push({ name: task.name, message, log });
      if (!options.keepGoing) stop = true;
      emit({ type: 'fail', name: task.name, durationMs: 0, message, log });
      return;
    }
    const recordProcess = (pid: number) => {
      running[task.name] = taskProcess(pid);
      // A state that cannot be written fails the task when it is saved at the end.
      p.state.save().catch(() => {});
    };
    try {
      for (const path of products) mkdirSync(dirname(resolve(p.root, path)), { recursive: true });
      const executor = await loadExecutor(executorName(task.spec, options.notebookExecutor));
      const job: TaskJob = {
        name: task.name,
        spec: task.spec,
        root: p.root,
        source: resolve(p.root, task.spec.source),
        product: resolveProduct(p.root, task.spec.product),
        upstream: upstreamMapping(p, task),
        params: task.spec.params,
        log,
        signal: abort.signal,
        started: recordProcess,
        kernels,
        maxOutputChars: options.maxOutputChars,
        notebookExecutor: options.notebookExecutor,
        label: p.label,
        notice: (message) => {
          if (noticed.has(message)) return;
          noticed.add(message);
          emit({ type: 'notice', name: task.name, message });
        },
      };
      writeFileSync(log, '');
      if (task.pair) await syncPair(task, task.pair);
      // A File client may hold the products this task would make now (clients.ts): then it does not run.
      const clients = p.spec.fileClient && (await import('./clients.js'));
      const downloaded =
        clients && !step.forced ? await clients.downloadProducts(p, task, job, fingerprintOf(status.parts)) : undefined;
      if (downloaded)
        emit({
          type: 'notice',
          name: task.name,
          message: `${task.name}: products downloaded with clients.File (made from what the task is now)`,
        });
      else await runTaskWithHooks(job, executor);
      p.files.forget(products);
      const digests = productDigests(p, task);
      const missing = digests.filter(([, digest]) => digest === undefined).map(([path]) => path);
      if (missing.length)
        throw new TaskFailure(
          `ran successfully but did not create ${missing.map((m) => p.label(resolve(p.root, m))).join(', ')}`,
        );
      const durationMs = Math.round(performance.now() - t0);
      const record: TaskRecord = {
        status: 'ok',
        fingerprint: fingerprintOf(status.parts),
        parts: status.parts,
        products: Object.fromEntries(digests) as Record<string, string>,
        startedAt: downloaded ?? new Date(begin).toISOString(),
        durationMs,
        ...(head ? { head } : {}),
      };
      upstreamDigest(record);
      if (clients && !downloaded) await clients.uploadProducts(p, task, job, record);
      delete running[task.name];
      p.state.data.tasks[task.name] = record;
      finished.set(task.name, 'ok');
      summary.ran.push({ name: task.name, durationMs });
      await p.state.save();
      emit({ type: 'finish', name: task.name, durationMs });
    } catch (e) {
      const durationMs = Math.round(performance.now() - t0);
      p.files.forget(products);
      finished.set(task.name, 'failed');
      delete running[task.name];
      if (abort.signal.aborted) {
        // Interrupted, not failed: the previous record stays; partial products no longer match it.
        summary.blocked.push(task.name);
        await p.state.save();
        emit({ type: 'skip', name: task.name, why: 'interrupted' });
        return;
      }
      const message =
        e instanceof TaskFailure || e instanceof PipelineError ? e.message : `internal error: ${(e as Error).message}`;
      p.state.data.tasks[task.name] = {
        status: 'failed',
        startedAt: new Date(begin).toISOString(),
        durationMs,
        ...(head ? { head } : {}),
        error: message,
      };
      summary.failed.push({ name: task.name, message, log });
      if (!options.keepGoing) stop = true;
      await p.state.save();
      emit({
        type: 'fail',
        name: task.name,
        durationMs,
        message,
        details: e instanceof TaskFailure ? e.details : undefined,
        log,
      });
    }
  };

  // A Slurm job runs one task of a run whose submitting process calls the pipeline's own hooks.
  const pipelineHooks = options.pipelineHooks ?? true;
  const renderFailure = pipelineHooks ? await runPipelineHook(p, 'on_render', {}, abort.signal) : undefined;
  if (renderFailure) {
    summary.hookFailure = renderFailure;
    stop = true;
  }
  const jobs = Math.max(1, Math.floor(options.jobs));
  while (pending.length > 0 || running.size > 0) {
    for (let i = 0; i < pending.length && running.size < jobs;) {
      const step = pending[i]!;
      const ups = step.task.upstream.filter((u) => planned.has(u));
      const failedUp = ups.find((u) => finished.has(u) && finished.get(u) !== 'ok');
      if (failedUp !== undefined || stop) {
        pending.splice(i, 1);
        finished.set(step.task.name, 'blocked');
        summary.blocked.push(step.task.name);
        emit({
          type: 'skip',
          name: step.task.name,
          why:
            failedUp !== undefined
              ? `upstream ${failedUp} did not complete`
              : summary.interrupted
                ? 'interrupted'
                : 'run stopped after a failure',
        });
        continue;
      }
      if (ups.every((u) => finished.get(u) === 'ok')) {
        pending.splice(i, 1);
        const name = step.task.name;
        running.set(
          name,
          runStep(step).finally(() => running.delete(name)),
        );
        continue;
      }
      i++;
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  if (!summary.interrupted && !renderFailure && pipelineHooks) {
    const report = steps.map((s) => ({
      name: s.task.name,
      ran: finished.get(s.task.name) === 'ok',
      elapsed: (summary.ran.find((r) => r.name === s.task.name)?.durationMs ?? 0) / 1000,
    }));
    summary.hookFailure = await runEndOfRunHook(p, summary.failed, report, abort.signal);
  }
  options.signal?.removeEventListener('abort', onAbort);
  await kernels?.close();

  summary.skipped.unshift(...steps.filter((s) => !s.run).map((s) => s.task.name));
  await saveRunEnd(p, options, summary, head);
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/**
 * The state at the end of a run (here or on Slurm): after a whole-pipeline run with nothing failed, the commit that
 * `run --changed` starts from next time, and the records and caches of what the pipeline no longer has are dropped.
 */
export async function saveRunEnd(
  p: Pipeline,
  options: Pick<RunOptions, 'targets'>,
  summary: RunSummary,
  head: string | undefined,
): Promise<void> {
  const wholePipeline = !options.targets?.length;
  let changed = summary.ran.length > 0 || summary.failed.length > 0 || p.files.cacheChanged || p.state.hasCollected;
  if (wholePipeline && summary.failed.length === 0 && summary.blocked.length === 0 && !summary.interrupted) {
    // The base of the next `run --changed`: this commit (the time only moves when something ran).
    if (changed || p.state.data.lastSuccess?.head !== head) {
      p.state.data.lastSuccess = { ...(head ? { head } : {}), at: new Date().toISOString() };
      changed = true;
    }
    // Forget what belongs to tasks and sources the pipeline no longer has.
    const names = new Set(p.tasks.map((t) => t.name));
    for (const name of Object.keys(p.state.data.tasks))
      if (!names.has(name)) {
        delete p.state.data.tasks[name];
        changed = true;
      }
    p.files.pruneCache();
    changed = p.pruneSourceCache() || p.files.cacheChanged || changed;
  }
  // A no-op run writes nothing.
  if (changed) await p.state.save();
}
