import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Pipeline } from '@nbpipe/pipeline';
import type { CommandModule } from 'yargs';
import { createContext, type Context, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { envOverrides, onInterrupt, pipelineOptions, pipelinePairing, reportRun } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  tasks?: string[];
  force?: boolean;
  'dry-run'?: boolean;
  check?: boolean;
  jobs?: number;
  'keep-going'?: boolean;
  only?: boolean;
  changed?: boolean;
  since?: string;
  env?: string[];
  'entry-point'?: string;
  slurm?: boolean;
  detach?: boolean;
  'record-to'?: string;
}

/** `nbpipe run`'s own options: anything else is refused, except `--env-NAME` overrides. */
const KNOWN = [
  'tasks',
  'force',
  'f',
  'dry-run',
  'n',
  'check',
  'jobs',
  'j',
  'keep-going',
  'k',
  'only',
  'changed',
  'since',
  'env',
  'entry-point',
  'e',
  'slurm',
  'detach',
  'record-to',
];

/** A local run must not start tasks that jobs of `run --slurm --detach` are about to run, or running. */
async function refuseWhileOnSlurm(ctx: Context, p: Pipeline): Promise<void> {
  const { activeSlurmJobs } = await import('@nbpipe/pipeline');
  const active = await activeSlurmJobs(p, true).catch((e: Error) => {
    // Slurm is gone (or down): the jobs cannot run either.
    ctx.out.warn(`cannot tell whether jobs of nbpipe run --slurm are still running: ${e.message}`);
    return [];
  });
  if (active.length)
    throw new CliError(
      `task(s) ${active.map((j) => j.task).join(', ')} have Slurm jobs pending or running (${active.map((j) => j.id).join(', ')}): wait for them (nbpipe status) or cancel them (scancel ${active.map((j) => j.id).join(' ')})`,
      1,
    );
}

export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run [tasks..]',
  describe:
    'Run the pipeline: only the tasks whose source, inputs, params or upstream changed, or whose products are missing',
  builder: (y) =>
    pipelineOptions(
      y
        .positional('tasks', {
          type: 'string',
          array: true,
          describe: 'tasks to run, with their outdated upstream (default: all)',
        })
        .option('force', { alias: 'f', type: 'boolean', describe: 'run the named tasks (or all) even if up to date' })
        .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print what would run and why; run nothing' })
        .option('check', { type: 'boolean', describe: 'run nothing; exit 1 if any task is outdated' })
        .option('jobs', {
          alias: 'j',
          type: 'number',
          describe: 'tasks run at once (default: CPU cores; 1 with `executor: serial`)',
        })
        .option('keep-going', {
          alias: 'k',
          type: 'boolean',
          describe: 'after a failure, keep running tasks that do not depend on it',
        })
        .option('only', { type: 'boolean', describe: 'run just the named tasks, not their upstream' })
        .option('changed', {
          type: 'boolean',
          describe: 'run the tasks whose inputs changed in git since REF, and their downstream',
        })
        .option('since', {
          type: 'string',
          describe: 'REF for --changed (default: the commit of the last successful run, else HEAD@{1})',
        })
        .option('slurm', {
          type: 'boolean',
          describe: 'run each task as a Slurm job (afterok on its upstream), and follow them',
        })
        .option('detach', { type: 'boolean', describe: 'with --slurm: submit the jobs, print their ids and return' })
        // Set by `run --slurm` in its jobs: record the task there instead of in .nbpipe/state.json (no run lock).
        .option('record-to', { type: 'string', hidden: true })
        .conflicts('detach', ['dry-run', 'check']),
    )
      .example('$0 run', 'run what is outdated')
      .example('$0 run --dry-run', 'show what would run and why')
      .example('git checkout feature && $0 run --changed', 'run what the checkout changed')
      .example('$0 run --changed --since origin/main', 'in CI: run what this branch changed')
      .example('$0 run --env sample=true', 'override a value of env.yaml')
      .example('$0 run --slurm', 'submit what is outdated to Slurm and follow the jobs'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, KNOWN);
    if (argv.jobs !== undefined && (!Number.isInteger(argv.jobs) || argv.jobs < 1))
      throw new CliError('--jobs: expected a positive integer');
    if (argv.only && !argv.tasks?.length) throw new CliError('--only needs task names');
    const changedMode = Boolean(argv.changed || argv.since !== undefined);
    const readOnly = Boolean(argv['dry-run'] || argv.check);
    const recordTo = argv['record-to'];
    if (recordTo !== undefined && (argv.tasks?.length !== 1 || !argv.only))
      throw new CliError('--record-to runs one task: TASK --only');
    const { loadPipeline, runPipeline, planRun, changedTasks, describeChangedSet, createProgress } =
      await import('@nbpipe/pipeline');
    const pipelineConfig = (await ctx.config()).config.pipeline as
      { executor?: string; maxOutputChars?: number; forkKernels?: boolean; preload?: string[] } | undefined;
    // A Slurm job runs beside others of its submission and records only its task, so it takes no run lock.
    const p = await loadPipeline({
      cwd: ctx.cwd,
      entryPoint: argv['entry-point'],
      env,
      lock: !readOnly && recordTo === undefined,
      pairing: await pipelinePairing(ctx),
    });
    if (recordTo !== undefined) p.state.recordTo(resolve(ctx.cwd, recordTo), argv.tasks![0]!);
    try {
      for (const w of p.warnings) ctx.out.warn(w);
      if (p.envFile) ctx.out.info(`env: ${p.label(p.envFile)}`);
      let changed: { tasks: Set<string>; since: string } | undefined;
      if (changedMode) {
        const set = await changedTasks(p, argv.since);
        ctx.out.info(describeChangedSet(set, 'run'));
        // Without a base the outdated tasks run: a plain run's plan says why each one does.
        if (set.base !== undefined) changed = { tasks: set.tasks, since: set.base.slice(0, 7) };
      }
      const options = { targets: argv.tasks, only: argv.only, force: argv.force, changed };

      if (readOnly) {
        const plan = planRun(p, options);
        const toRun = plan.filter((t) => t.run);
        const c = ctx.out.color;
        const shown = argv.check ? toRun : plan;
        const width = Math.min(40, Math.max(0, ...shown.map((t) => t.name.length)));
        for (const t of shown)
          ctx.out.print(
            `${t.run ? c.yellow('run ') : c.dim('skip')}  ${t.name.padEnd(width)}  ${c.dim(`(${t.reasons.join(', ')})`)}`,
          );
        ctx.out.info(`${toRun.length} to run, ${plan.length - toRun.length} up to date or not selected`);
        if (argv.check && toRun.length > 0) process.exitCode = 1;
        return;
      }

      const cluster = (await ctx.config()).config.cluster;
      if (recordTo === undefined && (argv.slurm ?? (p.spec.cluster ?? cluster) === 'slurm')) {
        await (
          await import('./run-slurm.js')
        ).runOnSlurm(ctx, p, options, { env, keepGoing: argv['keep-going'], detach: argv.detach });
        return;
      }
      if (argv.detach) throw new CliError('--detach needs --slurm (or cluster: slurm)');
      if (recordTo === undefined) await refuseWhileOnSlurm(ctx, p);
      const jobs = argv.jobs ?? (p.spec.executor === 'serial' ? 1 : (p.spec.processes ?? availableParallelism()));
      const progress = ctx.out.quiet ? undefined : createProgress(process.stderr, ctx.out.color);
      const controller = new AbortController();
      // First Ctrl-C: stop cleanly (running tasks are killed, finished ones are recorded). Second: leave now.
      const stopListening = onInterrupt(ctx, controller, 'stopping running tasks');
      let summary;
      try {
        // NBPIPE_FORK_KERNELS=0 launches every kernel as the opt-out in the configuration does (README "Fresh kernels")
        const kernels = {
          fork: process.env.NBPIPE_FORK_KERNELS === '0' ? false : pipelineConfig?.forkKernels,
          preload: pipelineConfig?.preload,
        };
        summary = await runPipeline(p, {
          ...options,
          jobs,
          keepGoing: argv['keep-going'],
          signal: controller.signal,
          kernels,
          maxOutputChars: pipelineConfig?.maxOutputChars,
          notebookExecutor: pipelineConfig?.executor,
          pipelineHooks: recordTo === undefined,
          onEvent: (e) => progress?.onEvent(e),
        });
      } finally {
        progress?.stop();
        stopListening();
      }

      await reportRun(ctx, p, summary);
    } finally {
      p.release();
    }
  },
};
