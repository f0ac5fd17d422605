import { join } from 'node:path';
import { shellQuote } from '@nbpipe/git';
import { STATE_DIR } from '../state.js';
import { SLURM_DIR, type SlurmJob } from '../slurm/jobs.js';

/** The here-document delimiter of each job's script (a script line never equals it: its lines start otherwise). */
const END = 'NBPIPE_JOB';

/**
 * A POSIX shell script that submits the jobs as `run --slurm` does (README: `nbpipe export slurm`): held until all are
 * submitted, each `afterok` on its upstream jobs, then released; when a submit fails, the jobs already submitted are
 * cancelled and nothing runs. It prints each task's job id.
 */
export function slurmSubmitScript(jobs: SlurmJob[], root: string, file: string): string {
  const variable = new Map(jobs.map((job, i) => [job.task, `job${i + 1}`]));
  const lines = [
    '#!/bin/sh',
    `# Written by nbpipe export slurm: the tasks of ${file} as Slurm jobs, one per task, after their upstream tasks.`,
    '# Run it on a machine of the cluster; the project folder must be on a filesystem the nodes share.',
    'set -eu',
    `mkdir -p ${shellQuote(join(root, STATE_DIR, SLURM_DIR))}`,
    'ids=',
    'fail() {',
    '  [ -z "$ids" ] || scancel $ids',
    `  printf 'sbatch refused task %s: nothing was submitted\\n' "$1" >&2`,
    '  exit 1',
    '}',
  ];
  for (const job of jobs) {
    const v = variable.get(job.task)!;
    const after = job.after.map((u) => `$${variable.get(u)!}`);
    const options = [
      ...job.options.map(shellQuote),
      ...(after.length ? [`"--dependency=afterok:${after.join(':')}"`] : []),
    ];
    lines.push(
      '',
      `${v}=$(sbatch --parsable --hold ${options.join(' ')} <<'${END}'`,
      job.script.trimEnd(),
      END,
      `) || fail ${shellQuote(job.task)}`,
      // With a named cluster --parsable prints `<id>;<cluster>`.
      `${v}=\${${v}%%;*}`,
      `ids="$ids $${v}"`,
    );
  }
  lines.push(
    '',
    'scontrol release $ids',
    ...jobs.map((job) => `printf '%s %s\\n' ${shellQuote(job.task)} "$${variable.get(job.task)!}"`),
    '',
  );
  return lines.join('\n');
}
