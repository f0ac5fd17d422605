import { join } from 'node:path';
import { shellQuote } from '@nbpipe/git';
import { logName } from '../runner.js';
import { RESULTS_DIR, STATE_DIR } from '../state.js';
import { resourceOptions, type SlurmSettings } from './settings.js';

/** Where, under `.nbpipe/`, Slurm writes the jobs' logs and nbpipe keeps the ids of the jobs it submitted. */
export const SLURM_DIR = 'slurm';

/** What one Slurm job runs: a task of the pipeline, after the jobs of the upstream tasks it names. */
export interface SlurmJob {
  task: string;
  /** Upstream tasks that have a job in the same submission (or one still pending or running): `afterok` on them. */
  after: string[];
  /** sbatch options, dependencies aside. */
  options: string[];
  /** The batch script (submitted on stdin: Slurm keeps its own copy). */
  script: string;
  /** The job's log, `%j` standing for its id. */
  log: string;
}

export interface SlurmJobOptions {
  /** Absolute paths of the project folder and pipeline file, the same on every node (a shared filesystem). */
  root: string;
  file: string;
  /** Shell words that start nbpipe on the node. */
  command: string;
  /** Options passed on to `nbpipe run` (`--entry-point`, `--env`), as for `export argo`. */
  pipelineArgs: string[];
  /** Defaults from the configuration's `slurm` section; a task's `slurm:` overrides them. */
  defaults: SlurmSettings;
}

/**
 * One job per task, in the order given (topological): each runs `nbpipe run TASK --only --force` in the project
 * folder — the submitting side decided what runs — so executors, products, reports and `on_finish` behave as in a
 * local run; the task's record goes to `.nbpipe/results/<job id>.json`, where every later nbpipe command finds it.
 * `alreadySubmitted`: tasks with a job pending or running from an earlier submission, which their downstream waits for.
 */
export function slurmJobs(
  tasks: { name: string; upstream: string[]; slurm?: SlurmSettings }[],
  options: SlurmJobOptions,
  alreadySubmitted: string[] = [],
): SlurmJob[] {
  const names = new Set([...tasks.map((t) => t.name), ...alreadySubmitted]);
  const stateDir = join(options.root, STATE_DIR);
  return tasks.map((task) => {
    // The task's log name without `.log`: safe characters only, one per task.
    const stem = logName(task.name).slice(0, -'.log'.length);
    const log = join(stateDir, SLURM_DIR, `${stem}-%j.log`);
    const run = [
      options.command,
      'run',
      shellQuote(task.name),
      '--only',
      '--force',
      '--record-to',
      `${shellQuote(join(stateDir, RESULTS_DIR))}/"$SLURM_JOB_ID".json`,
      ...options.pipelineArgs.map(shellQuote),
    ];
    const script = [
      '#!/bin/sh',
      `# nbpipe: task ${task.name.replace(/\n/g, ' ')} of ${options.file}`,
      // Without a shared filesystem the node has no project: say so rather than fail on a missing file.
      `if [ ! -f ${shellQuote(options.file)} ]; then`,
      `  printf 'nbpipe: %s is not on node %s: the project folder must be on a filesystem shared by the nodes\\n' ${shellQuote(options.file)} "$(hostname)" >&2`,
      '  exit 2',
      'fi',
      run.join(' '),
      '',
    ].join('\n');
    return {
      task: task.name,
      after: task.upstream.filter((u) => names.has(u)),
      options: [
        `--job-name=nbp-${stem}`,
        `--chdir=${options.root}`,
        `--output=${log}`,
        // PATH, NBPIPE_PYTHON, JUPYTER_PATH… reach the task as they are here.
        '--export=ALL',
        // A job whose upstream failed is cancelled rather than left pending for ever.
        '--kill-on-invalid-dep=yes',
        ...resourceOptions(options.defaults, task.slurm),
      ],
      script,
      log,
    };
  });
}

/** The dependency option of a job on the ids of its upstream jobs. */
export function dependencyOption(ids: string[]): string[] {
  return ids.length ? [`--dependency=afterok:${ids.join(':')}`] : [];
}
