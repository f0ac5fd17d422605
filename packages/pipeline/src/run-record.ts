import { PipelineError } from './errors.js';
import { TaskFailure } from './executors/job.js';
import type { Pipeline } from './project.js';
import type { Outcome } from './run-schedule.js';
import { isRunning, taskProcess, type TaskRecord } from './state.js';

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

/** A task that ran and failed (or was interrupted): when it started, how long it ran, where its output went. */
export interface TaskAttempt {
  begin: number;
  durationMs: number;
  log: string;
}

/**
 * The record-keeping of a run: each task's outcome goes into the state (saved as soon as the task finishes) and the
 * summary, and is announced with an event. The pids of running tasks are in the state while they run.
 */
export class RunRecorder {
  readonly summary: RunSummary = {
    ran: [],
    skipped: [],
    failed: [],
    blocked: [],
    durationMs: 0,
    interrupted: false,
  };

  constructor(
    private readonly p: Pipeline,
    private readonly head: string | undefined,
    private readonly emit: (event: RunEvent) => void,
  ) {}

  private get running() {
    return (this.p.state.data.running ??= {});
  }

  /** The pid of the task's process from an earlier run, if that process still runs. */
  earlierProcess(name: string): number | undefined {
    const previous = this.running[name];
    return previous && isRunning(previous) ? previous.pid : undefined;
  }

  /** A task's process started: recorded so that a later run does not start a second copy while it runs. */
  processStarted(name: string, pid: number): void {
    this.running[name] = taskProcess(pid);
    // A state that cannot be written fails the task when it is saved at the end.
    this.p.state.save().catch(() => {});
  }

  /** The task did not start: its process from an earlier run would write the same products. */
  refused(name: string, pid: number, log: string): void {
    const message = `its process from an earlier run (pid ${pid}) is still running: wait for it to end or stop it (kill -- -${pid}), then run again`;
    this.summary.failed.push({ name, message, log });
    this.emit({ type: 'fail', name, durationMs: 0, message, log });
  }

  async succeeded(name: string, record: TaskRecord): Promise<void> {
    delete this.running[name];
    this.p.state.data.tasks[name] = record;
    this.summary.ran.push({ name, durationMs: record.durationMs });
    await this.p.state.save();
    this.emit({ type: 'finish', name, durationMs: record.durationMs });
  }

  /** Interrupted, not failed: the previous record stays; partial products no longer match it. */
  async interrupted(name: string): Promise<void> {
    delete this.running[name];
    this.summary.blocked.push(name);
    await this.p.state.save();
    this.emit({ type: 'skip', name, why: 'interrupted' });
  }

  async failed(name: string, error: unknown, { begin, durationMs, log }: TaskAttempt): Promise<void> {
    delete this.running[name];
    const message =
      error instanceof TaskFailure || error instanceof PipelineError
        ? error.message
        : `internal error: ${(error as Error).message}`;
    this.p.state.data.tasks[name] = {
      status: 'failed',
      startedAt: new Date(begin).toISOString(),
      durationMs,
      ...(this.head ? { head: this.head } : {}),
      error: message,
    };
    this.summary.failed.push({ name, message, log });
    await this.p.state.save();
    const details = error instanceof TaskFailure ? error.details : undefined;
    this.emit({ type: 'fail', name, durationMs, message, details, log });
  }

  /** A planned task that did not start. */
  blocked(name: string, why: string): void {
    this.summary.blocked.push(name);
    this.emit({ type: 'skip', name, why });
  }

  /** One row per task, as Ploomber's build report (for the end-of-run hooks): did it run, and for how many seconds. */
  report(names: string[], outcomes: Map<string, Outcome>): { name: string; ran: boolean; elapsed: number }[] {
    return names.map((name) => ({
      name,
      ran: outcomes.get(name) === 'ok',
      elapsed: (this.summary.ran.find((r) => r.name === name)?.durationMs ?? 0) / 1000,
    }));
  }
}

/**
 * The state at the end of a run (here or on Slurm): after a whole-pipeline run with nothing failed, the commit that
 * `run --changed` starts from next time, and the records and caches of what the pipeline no longer has are dropped.
 */
export async function saveRunEnd(
  p: Pipeline,
  options: { targets?: string[] },
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
