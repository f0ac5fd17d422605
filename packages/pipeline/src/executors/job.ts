import type { KernelFactory } from '@nbpipe/kernel';
import type { Value } from '../env.js';
import type { TaskSpec } from '../spec.js';

/** A product with absolute paths, as executors and injected parameters see it. */
export type ResolvedProduct = string | Record<string, string>;

/** Everything an executor needs to run one task. */
export interface TaskJob {
  name: string;
  spec: TaskSpec;
  /** Project root: the working directory of the task. */
  root: string;
  /** Absolute path of the source. */
  source: string;
  product: ResolvedProduct;
  /** Upstream task name → its product; a wildcard declaration maps to a nested mapping of the tasks it matched. */
  upstream: Record<string, ResolvedProduct | Record<string, ResolvedProduct>>;
  params: Record<string, Value>;
  /** File collecting the task's output (stdout, stderr, tracebacks). */
  log: string;
  /** Aborted when the run is interrupted: the executor stops its processes and rejects. */
  signal: AbortSignal;
  /** Told the pid of each process the task starts (the run records it in the state while the task runs). */
  started?(pid: number): void;
  /** The run's executor for notebook tasks that name none (`pipeline.executor`; see executorName). */
  notebookExecutor?: string;
  /** The run's cap of each stream output in an executed notebook (`pipeline.maxOutputChars`; see maxOutputChars). */
  maxOutputChars?: number;
  /** Where the run's kernels and python calls come from (forked from a warm parent); without it, each is launched. */
  kernels?: KernelFactory;
  /** A path as messages should show it. */
  label(path: string): string;
  /** Tell the user something about how the task runs (shown once per message and run). */
  notice?(message: string): void;
}

/** How a task of some kind is run. Rejects with TaskFailure when the task fails. */
export interface Executor {
  run(job: TaskJob): Promise<void>;
}

/** A task that ran and failed: one line for the summary, and details (output tail, traceback) for the log. */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}
