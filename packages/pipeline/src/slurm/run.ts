import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHead, writeFileAtomic } from '@nbpipe/git';
import { PipelineError } from '../errors.js';
import type { Pipeline } from '../project.js';
import { saveRunEnd, type RunEvent, type RunSummary } from '../run-record.js';
import { planRun, type PlannedTask, type RunOptions } from '../runner.js';
import { dependencyOption, slurmJobs, SLURM_DIR, type SlurmJobOptions } from './jobs.js';
import { cancelJobs, isTerminal, jobExit, jobStates, releaseJobs, sbatch, type JobState } from './scheduler.js';

/** A job nbpipe submitted for a task: kept in `.nbpipe/slurm/jobs.json` until it ends, so no run submits it twice. */
export interface SubmittedJob {
  task: string;
  id: string;
  /** Absolute path of the job's log. */
  log: string;
  /** The jobs it waits for (`afterok`), by task. */
  after: string[];
}

const REGISTRY = 'jobs.json';

function registryPath(p: Pipeline): string {
  return join(p.state.dir, SLURM_DIR, REGISTRY);
}

function readRegistry(p: Pipeline): SubmittedJob[] {
  try {
    const jobs = JSON.parse(readFileSync(registryPath(p), 'utf8')) as unknown;
    return Array.isArray(jobs) ? (jobs as SubmittedJob[]) : [];
  } catch {
    return [];
  }
}

function writeRegistry(p: Pipeline, jobs: SubmittedJob[]): Promise<void> {
  mkdirSync(join(p.state.dir, SLURM_DIR), { recursive: true });
  return writeFileAtomic(registryPath(p), JSON.stringify(jobs));
}

/**
 * The jobs nbpipe submitted for this project that are still pending or running, with their state. With `forget`
 * (under the run lock), the others are dropped from `.nbpipe/slurm/jobs.json`: their records are in `.nbpipe/results/`.
 */
export async function activeSlurmJobs(p: Pipeline, forget = false): Promise<(SubmittedJob & JobState)[]> {
  const jobs = readRegistry(p);
  if (!jobs.length) return [];
  const states = await jobStates(jobs.map((j) => j.id));
  const active = jobs.flatMap((job) => {
    const state = states.get(job.id);
    return state && !isTerminal(state.state) ? [{ ...job, ...state }] : [];
  });
  if (forget && active.length < jobs.length) await writeRegistry(p, active.map(registryEntry));
  return active;
}

const registryEntry = ({ task, id, log, after }: SubmittedJob): SubmittedJob => ({ task, id, log, after });

export interface SlurmSubmission {
  plan: PlannedTask[];
  /** Jobs submitted now, in topological order. */
  submitted: SubmittedJob[];
  /** Planned tasks left alone because a job of an earlier submission is still pending or running for them. */
  active: (SubmittedJob & JobState)[];
}

/**
 * Submit the tasks a run would start (the same plan as a local run) as Slurm jobs, `afterok` on the jobs of their
 * upstream tasks, held until all are submitted so that Slurm orders the whole plan. Tasks whose job from an earlier
 * submission is still pending or running are not submitted again: their downstream waits for that job. When a submit
 * is refused, the jobs already submitted are cancelled (none has started) and the error names the task.
 * The pipeline must have been loaded with `lock: true`.
 */
export async function submitToSlurm(
  p: Pipeline,
  options: Omit<RunOptions, 'jobs' | 'onEvent'>,
  jobOptions: Omit<SlurmJobOptions, 'root' | 'file'>,
): Promise<SlurmSubmission> {
  let active = await activeSlurmJobs(p, true);
  // Still held: a submission that died before its release. Its jobs would never start: submit them again.
  const held = active.filter((j) => j.reason === 'JobHeldUser');
  if (held.length) {
    await cancelJobs(held.map((j) => j.id));
    active = active.filter((j) => !held.includes(j));
  }
  const activeByTask = new Map(active.map((j) => [j.task, j]));
  const plan = planRun(p, options);
  const toSubmit = plan.filter((t) => t.run && !activeByTask.has(t.name)).map((t) => p.byName.get(t.name)!);
  const jobs = slurmJobs(
    toSubmit.map((t) => ({ name: t.name, upstream: t.upstream, ...(t.spec.slurm ? { slurm: t.spec.slurm } : {}) })),
    { ...jobOptions, root: p.root, file: p.file },
    [...activeByTask.keys()],
  );
  // Slurm cannot open a log in a missing folder: the job would fail without running.
  mkdirSync(join(p.state.dir, SLURM_DIR), { recursive: true });
  const ids = new Map<string, string>([...activeByTask].map(([task, job]) => [task, job.id]));
  const submitted: SubmittedJob[] = [];
  try {
    for (const job of jobs) {
      let id: string;
      try {
        id = await sbatch(
          ['--hold', ...job.options, ...dependencyOption(job.after.map((u) => ids.get(u)!))],
          job.script,
        );
      } catch (e) {
        throw new PipelineError(`task ${job.task}: ${(e as Error).message}`);
      }
      ids.set(job.task, id);
      submitted.push({ task: job.task, id, log: job.log.replace('%j', id), after: job.after });
      if (options.signal?.aborted) throw new PipelineError('interrupted while submitting: nothing was submitted');
    }
    // Recorded before the release, so that no job can start without a later run knowing it.
    await writeRegistry(p, [...active.map(registryEntry), ...submitted]);
    await releaseJobs(submitted.map((j) => j.id));
  } catch (e) {
    await cancelJobs(submitted.map((j) => j.id)).catch(() => {});
    await writeRegistry(p, active.map(registryEntry));
    throw e;
  }
  return {
    plan,
    submitted,
    active: plan.flatMap((t) => (t.run && activeByTask.has(t.name) ? [activeByTask.get(t.name)!] : [])),
  };
}

const POLL_MS = 1000;
const MAX_POLL_MS = 30_000;
/** How long a job that ended may take to show its record here: a shared filesystem may show a new file late (NFS caches). */
const RECORD_GRACE_MS = 10_000;

/** Slurm's reasons for cancelling a job whose upstream job failed. */
const DEPENDENCY_FAILED = new Set(['DependencyNeverSatisfied']);
/** Reasons a pending job gives when no node of its partition can ever run it (it stays pending: Slurm does not fail it). */
const NEVER_STARTS = new Set([
  'PartitionConfig',
  'PartitionNodeLimit',
  'PartitionTimeLimit',
  'BadConstraints',
  'InvalidQOS',
  'InvalidAccount',
]);

/**
 * Follow jobs until each has ended, reporting as a local run does (events, summary). A job's task record comes from
 * the node (`.nbpipe/results/`) and is written into the state as the job ends. A failed task cancels the jobs that
 * depend on it, and without `keepGoing` every job not started yet; aborting cancels every job of the submission.
 */
export async function followSlurmJobs(
  p: Pipeline,
  submission: SlurmSubmission,
  options: Pick<RunOptions, 'targets' | 'keepGoing' | 'onEvent' | 'signal'>,
): Promise<RunSummary> {
  const started = performance.now();
  const head = p.repo ? readHead(p.repo).commit : undefined;
  const emit = options.onEvent ?? ((_: RunEvent) => {});
  const summary: RunSummary = {
    ran: [],
    skipped: submission.plan.filter((t) => !t.run).map((t) => t.name),
    failed: [],
    blocked: [],
    durationMs: 0,
    interrupted: false,
  };
  const jobs = [...submission.active, ...submission.submitted];
  const ours = new Set(submission.submitted.map((j) => j.id));
  const waiting = new Map(jobs.map((j) => [j.id, j]));
  const running = new Set<string>();
  /** Pending jobs that no node can run, reported once. */
  const stuck = new Set<string>();
  const recorded = new Set<string>();
  /** Jobs that ended without a record yet, and when that was first seen. */
  const unrecorded = new Map<string, number>();
  /** Jobs nbpipe cancelled, and why (shown as the reason they did not run). */
  const cancelled = new Map<string, string>();
  const failedTasks = new Set<string>();
  const downstreamOf = (task: string): SubmittedJob[] => {
    const out = new Set<string>([task]);
    for (const job of jobs) if (job.after.some((u) => out.has(u))) out.add(job.task);
    return jobs.filter((j) => j.task !== task && out.has(j.task));
  };
  const cancel = async (targets: SubmittedJob[], why: string) => {
    const fresh = targets.filter((j) => waiting.has(j.id) && !cancelled.has(j.id));
    for (const j of fresh) cancelled.set(j.id, why);
    await cancelJobs(fresh.map((j) => j.id));
  };

  let delay = POLL_MS;
  let warned = false;
  while (waiting.size) {
    if (options.signal?.aborted && !summary.interrupted) {
      summary.interrupted = true;
      await cancel(
        [...waiting.values()].filter((j) => ours.has(j.id)),
        'interrupted',
      );
      // Jobs of an earlier submission are not ours to cancel: they go on, unwatched.
      for (const id of [...waiting.keys()]) if (!ours.has(id)) waiting.delete(id);
    }
    let states: Map<string, JobState>;
    try {
      states = await jobStates([...waiting.keys()]);
      delay = POLL_MS;
    } catch (e) {
      // The controller may be restarting: jobs go on meanwhile; ask again, less often.
      if (!warned) emit({ type: 'notice', name: '', message: `${(e as Error).message}: retrying` });
      warned = true;
      delay = Math.min(MAX_POLL_MS, delay * 2);
      await sleep(delay, options.signal);
      continue;
    }
    for (const task of p.state.collectResults()) recorded.add(task);
    // Started jobs first: a failure below then stops only the jobs that have not started.
    for (const job of waiting.values()) {
      const state = states.get(job.id);
      if (state?.state === 'RUNNING' && !running.has(job.id)) {
        running.add(job.id);
        emit({ type: 'start', name: job.task, at: Date.now() });
      } else if (state?.state === 'PENDING' && NEVER_STARTS.has(state.reason) && !stuck.has(job.id)) {
        stuck.add(job.id);
        emit({
          type: 'notice',
          name: job.task,
          message: `job ${job.id} of task ${job.task} cannot start (${state.reason}: it asks for more than the partition has?): cancel it with Ctrl-C or scancel ${job.id}`,
        });
      }
    }
    let changed = false;
    for (const job of [...waiting.values()]) {
      const state = states.get(job.id);
      if (state && !isTerminal(state.state)) continue;
      // Reported after the upstream job that made Slurm cancel it, so that the reason names that task.
      if (state?.state === 'CANCELLED' && job.after.some((u) => [...waiting.values()].some((j) => j.task === u)))
        continue;
      const record = recorded.has(job.task) ? p.state.data.tasks[job.task] : undefined;
      if (!record && state?.state !== 'CANCELLED') {
        const since = unrecorded.get(job.id) ?? Date.now();
        unrecorded.set(job.id, since);
        if (Date.now() - since < RECORD_GRACE_MS) continue;
      }
      waiting.delete(job.id);
      changed = true;
      if (state?.state === 'COMPLETED' && record?.status === 'ok') {
        summary.ran.push({ name: job.task, durationMs: record.durationMs });
        emit({ type: 'finish', name: job.task, durationMs: record.durationMs });
        continue;
      }
      const why =
        cancelled.get(job.id) ??
        (state?.state === 'CANCELLED' && DEPENDENCY_FAILED.has(state.reason) ? 'upstream did not complete' : undefined);
      if (why !== undefined && state?.state === 'CANCELLED') {
        const failedUp = job.after.find((u) => failedTasks.has(u));
        summary.blocked.push(job.task);
        emit({ type: 'skip', name: job.task, why: failedUp ? `upstream ${failedUp} did not complete` : why });
        continue;
      }
      const ended = state
        ? `${state.state}${state.reason && state.reason !== 'None' ? `, ${state.reason}` : ''}`
        : 'no longer known to Slurm';
      const exit = state ? await jobExit(job.id) : undefined;
      const how = [ended, exit].filter(Boolean).join(', ');
      const message =
        record?.status === 'failed' && record.error
          ? `${record.error} (slurm job ${job.id})`
          : existsSync(job.log)
            ? `slurm job ${job.id} ended without recording the task (${how}); see its log`
            : // Slurm could not even open the log: the node has no such folder.
              `slurm job ${job.id} failed before it started (${how}), leaving no log: is the project folder on a filesystem the nodes share?`;
      failedTasks.add(job.task);
      summary.failed.push({ name: job.task, message, log: job.log });
      emit({ type: 'fail', name: job.task, durationMs: record?.durationMs ?? 0, message, log: job.log });
      await cancel(downstreamOf(job.task), `upstream ${job.task} did not complete`);
      if (!options.keepGoing)
        await cancel(
          [...waiting.values()].filter((j) => ours.has(j.id) && !running.has(j.id)),
          'run stopped after a failure',
        );
    }
    if (changed) {
      await p.state.save();
      await writeRegistry(
        p,
        readRegistry(p).filter((j) => !jobs.some((f) => f.id === j.id) || waiting.has(j.id)),
      );
    }
    if (waiting.size) await sleep(delay, options.signal);
  }
  await saveRunEnd(p, options, summary, head);
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/** Wait `ms`, or less when aborted (the loop then cancels at once). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
