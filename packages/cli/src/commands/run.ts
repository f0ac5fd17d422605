import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, relative, resolve, sep } from 'node:path';
import type { Pipeline, RunSummary } from '@nbpipe/pipeline';
import type { Argv, CommandModule } from 'yargs';
import { createContext, type Context, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';

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

/** The project's pairing settings, so the pipeline finds paired sources as `nbpipe sync` does. */
export async function pipelinePairing(ctx: Context) {
  const { config, filepath } = await ctx.config();
  return { pairing: config.pairing, configPath: filepath, warn: (message: string) => ctx.out.warn(message) };
}

/** Options every pipeline command takes: where the pipeline is and env.yaml overrides. */
export function pipelineOptions<T>(y: Argv<T>) {
  return (
    y
      .option('entry-point', { alias: 'e', type: 'string', describe: 'pipeline.yaml to use (default: searched from the current folder up)' })
      .option('env', { type: 'string', array: true, describe: "override an env.yaml value: --env sample=true (Ploomber's --env--sample true works too)" })
      // `--env--KEY value` options are open-ended, so this command checks unknown options itself.
      .strict(false)
  );
}

const GLOBAL_OPTIONS = ['quiet', 'q', 'verbose', 'v', 'color', 'config', 'help', 'h', 'version', '_', '$0'];

/**
 * The `--env` overrides: `--env key=value` and Ploomber's `--env--key value` (nested keys joined with
 * `--`), as dotted keys. Any other unknown option is a usage error.
 */
export function envOverrides(argv: Record<string, unknown>, known: string[]): Record<string, string> {
  const allowed = new Set([...GLOBAL_OPTIONS, ...known, ...known.map((k) => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()))]);
  const overrides: Record<string, string> = {};
  for (const item of (argv.env as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`--env ${item}: expected KEY=VALUE`);
    overrides[item.slice(0, eq)] = item.slice(eq + 1);
  }
  for (const [key, value] of Object.entries(argv)) {
    if (allowed.has(key)) continue;
    if (key.startsWith('env--')) overrides[key.slice(5).split('--').join('.')] = String(Array.isArray(value) ? value[value.length - 1] : value);
    else if (!/^env[A-Z]/.test(key)) throw new CliError(`unknown option ${key.length === 1 ? '-' : '--'}${key}`);
  }
  return overrides;
}

const KNOWN = ['tasks', 'force', 'f', 'dry-run', 'n', 'check', 'jobs', 'j', 'keep-going', 'k', 'only', 'changed', 'since', 'env', 'entry-point', 'e', 'slurm', 'detach', 'record-to'];

/** The options that make `nbpipe run` elsewhere (a Slurm node, an Argo step) load the same pipeline with the same env. */
export function pipelineArgs(p: Pipeline, env: Record<string, string>): string[] {
  return [
    ...(basename(p.file) === 'pipeline.yaml' ? [] : ['--entry-point', relative(p.root, p.file).split(sep).join('/')]),
    ...Object.entries(env).map(([key, value]) => `--env=${key}=${value}`),
  ];
}

/** Failures with the end of their log, the slowest tasks, and the totals; sets the exit code (1: a task failed). */
export async function reportRun(ctx: Context, p: Pipeline, summary: RunSummary): Promise<void> {
  const { formatDuration } = await import('@nbpipe/pipeline');
  const c = ctx.out.color;
  for (const f of summary.failed) {
    let details = '';
    try {
      details = readFileSync(f.log, 'utf8');
    } catch {
      // no log: the message says what happened
    }
    ctx.out.error(`task ${f.name} failed: ${f.message}`);
    const tail = details.trimEnd().split('\n').slice(-20).join('\n');
    if (tail) process.stderr.write(c.dim(tail.replace(/^/gm, '  │ ')) + '\n');
    ctx.out.info(c.dim(`  full output: ${p.label(f.log)}`));
  }
  if (summary.hookFailure) ctx.out.error(summary.hookFailure);
  // The tasks that ran, slowest first (the ten slowest of a big run), with their share of the time.
  const total = summary.ran.reduce((sum, r) => sum + r.durationMs, 0);
  const slowest = [...summary.ran].sort((a, b) => b.durationMs - a.durationMs);
  if (slowest.length > 1) {
    const width = Math.min(40, Math.max(...slowest.slice(0, 10).map((r) => r.name.length)));
    for (const r of slowest.slice(0, 10))
      ctx.out.print(`  ${r.name.padEnd(width)}  ${formatDuration(r.durationMs).padStart(7)}  ${String(total ? Math.round((100 * r.durationMs) / total) : 0).padStart(3)}%`);
    if (slowest.length > 10) ctx.out.print(`  … and ${slowest.length - 10} more`);
  }
  const parts = [
    `ran ${summary.ran.length}`,
    `skipped ${summary.skipped.length}`,
    ...(summary.failed.length ? [c.red(`failed ${summary.failed.length}`)] : []),
    ...(summary.blocked.length ? [`not run ${summary.blocked.length}`] : []),
  ];
  ctx.out.print(`${parts.join(', ')} in ${formatDuration(summary.durationMs)}`);
  if (summary.interrupted) process.exitCode = 130;
  else if (summary.failed.length || summary.blocked.length || summary.hookFailure) process.exitCode = 1;
}

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

/** Ctrl-C (or SIGTERM) aborts `controller` once; a second one exits at once. Returns the function that stops listening. */
export function onInterrupt(ctx: Context, controller: AbortController, what: string): () => void {
  let interrupts = 0;
  const onSignal = () => {
    if (++interrupts > 1) process.exit(130);
    ctx.out.warn(`interrupted: ${what} (Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

export const runCommand: CommandModule<GlobalArgs, Args> = {
  command: 'run [tasks..]',
  describe: 'Run the pipeline: only the tasks whose source, inputs, params or upstream changed, or whose products are missing',
  builder: (y) =>
    pipelineOptions(
      y
        .positional('tasks', { type: 'string', array: true, describe: 'tasks to run, with their outdated upstream (default: all)' })
        .option('force', { alias: 'f', type: 'boolean', describe: 'run the named tasks (or all) even if up to date' })
        .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print what would run and why; run nothing' })
        .option('check', { type: 'boolean', describe: 'run nothing; exit 1 if any task is outdated' })
        .option('jobs', { alias: 'j', type: 'number', describe: 'tasks run at once (default: CPU cores; 1 with `executor: serial`)' })
        .option('keep-going', { alias: 'k', type: 'boolean', describe: 'after a failure, keep running tasks that do not depend on it' })
        .option('only', { type: 'boolean', describe: 'run just the named tasks, not their upstream' })
        .option('changed', { type: 'boolean', describe: 'run the tasks whose inputs changed in git since REF, and their downstream' })
        .option('since', { type: 'string', describe: 'REF for --changed (default: the commit of the last successful run, else HEAD@{1})' })
        .option('slurm', { type: 'boolean', describe: 'run each task as a Slurm job (afterok on its upstream), and follow them' })
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
    if (argv.jobs !== undefined && (!Number.isInteger(argv.jobs) || argv.jobs < 1)) throw new CliError('--jobs: expected a positive integer');
    if (argv.only && !argv.tasks?.length) throw new CliError('--only needs task names');
    const changedMode = Boolean(argv.changed || argv.since !== undefined);
    const readOnly = Boolean(argv['dry-run'] || argv.check);
    const recordTo = argv['record-to'];
    if (recordTo !== undefined && (argv.tasks?.length !== 1 || !argv.only)) throw new CliError('--record-to runs one task: TASK --only');
    const { loadPipeline, runPipeline, planRun, changedTasks, describeChangedSet, createProgress } = await import('@nbpipe/pipeline');
    const pipelineConfig = (await ctx.config()).config.pipeline as { executor?: string; maxOutputChars?: number; forkKernels?: boolean; preload?: string[] } | undefined;
    // A Slurm job runs beside others of its submission and records only its task, so it takes no run lock.
    const p = await loadPipeline({ cwd: ctx.cwd, entryPoint: argv['entry-point'], env, lock: !readOnly && recordTo === undefined, pairing: await pipelinePairing(ctx) });
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
        for (const t of shown) ctx.out.print(`${t.run ? c.yellow('run ') : c.dim('skip')}  ${t.name.padEnd(width)}  ${c.dim(`(${t.reasons.join(', ')})`)}`);
        ctx.out.info(`${toRun.length} to run, ${plan.length - toRun.length} up to date or not selected`);
        if (argv.check && toRun.length > 0) process.exitCode = 1;
        return;
      }

      const cluster = (await ctx.config()).config.cluster;
      if (recordTo === undefined && (argv.slurm ?? (p.spec.cluster ?? cluster) === 'slurm')) {
        await (await import('./run-slurm.js')).runOnSlurm(ctx, p, options, { env, keepGoing: argv['keep-going'], detach: argv.detach });
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
        const kernels = { fork: process.env.NBPIPE_FORK_KERNELS === '0' ? false : pipelineConfig?.forkKernels, preload: pipelineConfig?.preload };
        summary = await runPipeline(p, { ...options, jobs, keepGoing: argv['keep-going'], signal: controller.signal, kernels, maxOutputChars: pipelineConfig?.maxOutputChars, notebookExecutor: pipelineConfig?.executor, onEvent: (e) => progress?.onEvent(e) });
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
