import { resolve } from 'node:path';
import type { JupyterKernelSpec, KernelFactory, LaunchOptions } from '@nbpipe/kernel';
import { resolveProduct, upstreamMapping, type Pipeline, type Task } from '../project.js';
import { executorName } from './executor-name.js';
import { kernelFor } from './interpreter.js';
import { kernelLaunchOptions, readSource } from './jupyter.js';

/** The run's events this needs: a task started, or ended one way or another (RunEvent in runner.ts). */
export interface TaskEvent {
  type: string;
  name: string;
}

/** A kernel asked for ahead: the task's kernelspec, working directory and environment. */
interface Ahead {
  spec: JupyterKernelSpec;
  options: LaunchOptions;
}

/**
 * Starts the kernels of the next notebook tasks while the current ones run (README "Fresh kernels"), so that a
 * task finds its kernel ready. A task's kernel is started ahead once each of its upstream tasks in the run has
 * started, with exactly the kernelspec, working directory and environment its executor will ask the factory for
 * (a kernel asked for differently is simply not taken). At most `limit` of them wait at a time, so memory stays
 * bounded; one whose task does not take it (skipped, failed, interrupted) is ended when the task ends, and the
 * factory ends the rest with the run.
 */
export class KernelsAhead {
  private readonly candidates: Task[];
  private readonly planned: Set<string>;
  /** Tasks that started, or ended without starting (skipped). */
  private readonly started = new Set<string>();
  /** Tasks that failed or were skipped: their downstream tasks will not run. */
  private readonly failed = new Set<string>();
  /** Tasks whose kernel was asked for ahead: undefined while their kernelspec is being read, or with none. */
  private readonly asked = new Map<string, Ahead | undefined>();
  /** Tasks whose kernel was asked for ahead and that have not started yet. */
  private readonly waiting = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly p: Pipeline,
    tasks: Task[],
    private readonly kernels: KernelFactory,
    private readonly limit: number,
    notebookExecutor: string | undefined,
  ) {
    this.planned = new Set(tasks.map((t) => t.name));
    this.candidates = tasks.filter(
      (t) => t.spec.kind === 'notebook' && executorName(t.spec, notebookExecutor) !== 'python',
    );
  }

  /** Follow the run: called with each of its events. */
  onEvent(event: TaskEvent): void {
    if (event.type === 'finish' || event.type === 'fail' || event.type === 'skip') {
      if (event.type !== 'finish') this.failed.add(event.name);
      const ahead = this.asked.get(event.name);
      // not taken by its task (skipped before it started, or asked for with another kernelspec): ended now
      if (ahead) void this.kernels.discardAhead(ahead.spec, ahead.options);
    } else if (event.type !== 'start') return;
    this.started.add(event.name);
    this.waiting.delete(event.name);
    // after the scheduler has started what it starts now: those tasks take no kernel started ahead
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.startNext();
      });
    }
  }

  private startNext(): void {
    for (const task of this.candidates) {
      if (this.waiting.size >= this.limit) return;
      if (this.asked.has(task.name) || this.started.has(task.name)) continue;
      // its upstream tasks have started and none failed: it will most likely run
      if (!task.upstream.every((up) => !this.planned.has(up) || (this.started.has(up) && !this.failed.has(up))))
        continue;
      this.asked.set(task.name, undefined);
      this.waiting.add(task.name);
      void this.ask(task);
    }
  }

  private async ask(task: Task): Promise<void> {
    const job = {
      name: task.name,
      spec: task.spec,
      root: this.p.root,
      source: resolve(this.p.root, task.spec.source),
      product: resolveProduct(this.p.root, task.spec.product),
      upstream: upstreamMapping(this.p, task),
      params: task.spec.params,
      label: this.p.label,
    };
    let spec: JupyterKernelSpec | undefined;
    try {
      spec = kernelFor(await readSource(job), job);
    } catch {
      // no kernel for it (or an unreadable source): the task says why when it runs
    }
    if (!spec || this.started.has(task.name)) {
      this.waiting.delete(task.name);
      return;
    }
    const ahead = { spec, options: kernelLaunchOptions(job) };
    this.asked.set(task.name, ahead);
    this.kernels.startAhead(ahead.spec, ahead.options);
  }
}
