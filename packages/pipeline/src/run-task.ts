import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KernelFactory } from '@nbpipe/kernel';
import { loadExecutor } from './executors/registry.js';
import { executorName } from './executors/executor-name.js';
import { TaskFailure, type TaskJob } from './executors/job.js';
import { runTaskWithHooks } from './hooks.js';
import { syncSourcePair, type SourcePair } from './pairs.js';
import { productPaths, resolveProduct, upstreamMapping, type Pipeline, type Task } from './project.js';
import type { RunEvent } from './run-record.js';
import { fingerprintOf, productDigests, upstreamDigest, type TaskStatus } from './status.js';
import type { TaskRecord } from './state.js';

/** What the tasks of one run share. */
export interface TaskRunSettings {
  p: Pipeline;
  /** The commit checked out, recorded with each task. */
  head: string | undefined;
  /** Aborted when the run is interrupted. */
  signal: AbortSignal;
  kernels: KernelFactory | undefined;
  notebookExecutor: string | undefined;
  maxOutputChars: number | undefined;
  emit: (event: RunEvent) => void;
  /** Told the pid of each process a task starts. */
  started: (name: string, pid: number) => void;
}

/** One task to run: its status when it starts, whether it was forced, and the file its output goes to. */
export interface TaskToRun {
  task: Task;
  status: TaskStatus;
  forced: boolean;
  log: string;
  /** When it started (Date.now() and performance.now()). */
  begin: number;
  t0: number;
}

/** Runs the tasks of one run: each notice shown once, and a source shared by tasks synced with its pair once. */
export class TaskRunner {
  private readonly noticed = new Set<string>();
  private readonly syncs = new Map<string, Promise<void>>();

  constructor(private readonly settings: TaskRunSettings) {}

  /**
   * Run a task (or download its products from the File client) and return the record of its success. Throws when it
   * failed, including when it ran but did not create all its products.
   */
  async run({ task, status, forced, log, begin, t0 }: TaskToRun): Promise<TaskRecord> {
    const { p, head } = this.settings;
    const products = productPaths(task.spec.product);
    for (const path of products) mkdirSync(dirname(resolve(p.root, path)), { recursive: true });
    const executor = await loadExecutor(executorName(task.spec, this.settings.notebookExecutor));
    const job = this.job(task, log);
    writeFileSync(log, '');
    if (task.pair) await this.syncPair(task, task.pair);
    // A File client may hold the products this task would make now (clients.ts): then it does not run.
    const clients = p.spec.fileClient && (await import('./clients.js'));
    const downloaded =
      clients && !forced ? await clients.downloadProducts(p, task, job, fingerprintOf(status.parts)) : undefined;
    if (downloaded)
      this.settings.emit({
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
    const record: TaskRecord = {
      status: 'ok',
      fingerprint: fingerprintOf(status.parts),
      parts: status.parts,
      products: Object.fromEntries(digests) as Record<string, string>,
      startedAt: downloaded ?? new Date(begin).toISOString(),
      durationMs: Math.round(performance.now() - t0),
      ...(head ? { head } : {}),
    };
    upstreamDigest(record);
    if (clients && !downloaded) await clients.uploadProducts(p, task, job, record);
    return record;
  }

  private job(task: Task, log: string): TaskJob {
    const { p, signal, kernels, maxOutputChars, notebookExecutor } = this.settings;
    return {
      name: task.name,
      spec: task.spec,
      root: p.root,
      source: resolve(p.root, task.spec.source),
      product: resolveProduct(p.root, task.spec.product),
      upstream: upstreamMapping(p, task),
      params: task.spec.params,
      log,
      signal,
      started: (pid) => this.settings.started(task.name, pid),
      kernels,
      maxOutputChars,
      notebookExecutor,
      label: p.label,
      notice: (message) => {
        if (this.noticed.has(message)) return;
        this.noticed.add(message);
        this.settings.emit({ type: 'notice', name: task.name, message });
      },
    };
  }

  /** A task that runs the cells of the paired member that was edited syncs its pair first; tasks sharing a source share one sync. */
  private syncPair(task: Task, pair: SourcePair): Promise<void> {
    const { p, emit } = this.settings;
    let sync = this.syncs.get(task.spec.source);
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
      this.syncs.set(task.spec.source, sync);
    }
    return sync;
  }
}
