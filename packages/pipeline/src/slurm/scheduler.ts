import { execFile } from 'node:child_process';
import { PipelineError } from '../errors.js';

/** A job as squeue reports it: `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, … and why (`Dependency`, `None`, …). */
export interface JobState {
  state: string;
  reason: string;
}

/** Slurm states after which a job does nothing more; success is COMPLETED only. */
const TERMINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

/** Run a Slurm command; its trimmed stdout, or a PipelineError naming it with its stderr. */
function slurm(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout.trim());
      const why = (stderr.trim().split('\n').pop() ?? '') || error.message;
      reject(
        new PipelineError(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${command} not found: Slurm's commands must be on PATH (scripts/slurm-local.sh starts a local Slurm)`
            : `${command}: ${why}`,
        ),
      );
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Submit a batch script (given on stdin: Slurm keeps a copy); the job id. */
export async function sbatch(options: string[], script: string): Promise<string> {
  // With a named cluster --parsable prints `<id>;<cluster>`.
  return (await slurm('sbatch', ['--parsable', ...options], script)).split(';')[0]!;
}

/** Release held jobs (they were submitted with --hold, so that a plan starts only once all of it is submitted). */
export async function releaseJobs(ids: string[]): Promise<void> {
  if (ids.length) await slurm('scontrol', ['release', ids.join(',')]);
}

/** Cancel jobs (scancel exits 0 even for unknown ids). */
export async function cancelJobs(ids: string[]): Promise<void> {
  if (ids.length) await slurm('scancel', ids);
}

/** The state of each job Slurm still knows (finished ones included, until MinJobAge); unknown ids are left out. */
export async function jobStates(ids: string[]): Promise<Map<string, JobState>> {
  const states = new Map<string, JobState>();
  if (!ids.length) return states;
  let out: string;
  try {
    out = await slurm('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i|%T|%r']);
  } catch (e) {
    // One unknown id alone is an error; in a list it is only left out.
    if (ids.length === 1 && /Invalid job id/i.test((e as Error).message)) return states;
    throw e;
  }
  for (const line of out.split('\n')) {
    const [id, state, reason] = line.split('|');
    if (id && state) states.set(id, { state, reason: reason ?? '' });
  }
  return states;
}

/** `ExitCode=N:S` of a job, as `exit N` or `signal S`, when Slurm still knows it. */
export async function jobExit(id: string): Promise<string | undefined> {
  try {
    const match = /\bExitCode=(\d+):(\d+)/.exec(await slurm('scontrol', ['show', 'job', '-o', id]));
    if (!match) return undefined;
    return match[2] !== '0' ? `signal ${match[2]}` : `exit ${match[1]}`;
  } catch {
    return undefined;
  }
}
