/** How a scheduled task ended: it succeeded, failed (or was interrupted), or never started. */
export type Outcome = 'ok' | 'failed' | 'blocked';

/**
 * Whether a run goes on. Interrupted (its signal aborted): running tasks are killed and no new one starts.
 * Stopped (a failure without keepGoing, a failed on_render hook): running tasks finish, no new one starts.
 */
export class Cancellation {
  interrupted = false;
  stopped = false;
  private readonly controller = new AbortController();
  private readonly onAbort = (): void => {
    this.interrupted = true;
    this.stopped = true;
    this.controller.abort();
  };

  constructor(private readonly runSignal: AbortSignal | undefined) {
    if (runSignal?.aborted) this.onAbort();
    runSignal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Aborted when the run is interrupted: executors stop the tasks' processes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Start no new task; the running ones finish. */
  stop(): void {
    this.stopped = true;
  }

  /** Why a task that has not started will not. */
  get why(): string {
    return this.interrupted ? 'interrupted' : 'run stopped after a failure';
  }

  /** Stop following the run's signal (the run is over). */
  dispose(): void {
    this.runSignal?.removeEventListener('abort', this.onAbort);
  }
}

/** A planned task, as the scheduler sees it: its name and upstream (some of them planned too). */
interface Schedulable {
  task: { name: string; upstream: string[] };
}

/**
 * Start each planned task, in the order given (topological), once its planned upstream tasks succeeded, `jobs` at a
 * time. A task whose upstream did not complete, or any task once the run stopped, is blocked instead of started.
 */
export async function schedule<T extends Schedulable>(
  planned: T[],
  jobs: number,
  cancellation: Cancellation,
  start: (item: T) => Promise<Outcome>,
  block: (item: T, why: string) => void,
): Promise<Map<string, Outcome>> {
  const names = new Set(planned.map((item) => item.task.name));
  const pending = [...planned];
  const finished = new Map<string, Outcome>();
  const running = new Map<string, Promise<void>>();
  const limit = Math.max(1, Math.floor(jobs));
  while (pending.length > 0 || running.size > 0) {
    for (let i = 0; i < pending.length && running.size < limit;) {
      const item = pending[i]!;
      const { name } = item.task;
      const ups = item.task.upstream.filter((u) => names.has(u));
      const failedUp = ups.find((u) => finished.has(u) && finished.get(u) !== 'ok');
      if (failedUp !== undefined || cancellation.stopped) {
        pending.splice(i, 1);
        finished.set(name, 'blocked');
        block(item, failedUp !== undefined ? `upstream ${failedUp} did not complete` : cancellation.why);
        continue;
      }
      if (ups.every((u) => finished.get(u) === 'ok')) {
        pending.splice(i, 1);
        const started = start(item).then((outcome) => void finished.set(name, outcome));
        running.set(
          name,
          started.finally(() => running.delete(name)),
        );
        continue;
      }
      i++;
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  return finished;
}
