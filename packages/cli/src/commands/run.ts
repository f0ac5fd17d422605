import { availableParallelism } from 'node:os';
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

const KNOWN = ['tasks', 'force', 'f', 'dry-run', 'n', 'check', 'jobs', 'j', 'keep-going', 'k', 'only', 'changed', 'since', 'env', 'entry-point', 'e'];

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
        .option('since', { type: 'string', describe: 'REF for --changed (default: the commit of the last successful run, else HEAD@{1})' }),
    )
      .example('$0 run', 'run what is outdated')
      .example('$0 run --dry-run', 'show what would run and why')
      .example('git checkout feature && $0 run --changed', 'run what the checkout changed')
      .example('$0 run --changed --since origin/main', 'in CI: run what this branch changed')
      .example('$0 run --env sample=true', 'override a value of env.yaml'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, KNOWN);
    if (argv.jobs !== undefined && (!Number.isInteger(argv.jobs) || argv.jobs < 1)) throw new CliError('--jobs: expected a positive integer');
    if (argv.only && !argv.tasks?.length) throw new CliError('--only needs task names');
    const changedMode = Boolean(argv.changed || argv.since !== undefined);
    const readOnly = Boolean(argv['dry-run'] || argv.check);
    const { loadPipeline, runPipeline, planRun, changedTasks, describeChangedSet, createProgress, formatDuration } = await import('@nbpipe/pipeline');
    const pipelineConfig = (await ctx.config()).config.pipeline as { executor?: string; maxOutputChars?: number; forkKernels?: boolean; preload?: string[] } | undefined;
    const p = await loadPipeline({ cwd: ctx.cwd, entryPoint: argv['entry-point'], env, lock: !readOnly, pairing: await pipelinePairing(ctx) });
    try {
      for (const w of p.warnings) ctx.out.warn(w);
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

      const jobs = argv.jobs ?? (p.spec.executor === 'serial' ? 1 : (p.spec.processes ?? availableParallelism()));
      const c = ctx.out.color;
      const progress = ctx.out.quiet ? undefined : createProgress(process.stderr, c);
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        // First Ctrl-C: stop cleanly (running tasks are killed, finished ones are recorded). Second: leave now.
        if (++interrupts > 1) process.exit(130);
        ctx.out.warn('interrupted: stopping running tasks (Ctrl-C again to quit at once)');
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let summary;
      try {
        // NBPIPE_FORK_KERNELS=0 launches every kernel as the opt-out in the configuration does (README "Fresh kernels")
        const kernels = { fork: process.env.NBPIPE_FORK_KERNELS === '0' ? false : pipelineConfig?.forkKernels, preload: pipelineConfig?.preload };
        summary = await runPipeline(p, { ...options, jobs, keepGoing: argv['keep-going'], signal: controller.signal, kernels, maxOutputChars: pipelineConfig?.maxOutputChars, notebookExecutor: pipelineConfig?.executor, onEvent: (e) => progress?.onEvent(e) });
      } finally {
        progress?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }

      for (const f of summary.failed) {
        const details = await import('node:fs').then((fs) => {
          try {
            return fs.readFileSync(f.log, 'utf8');
          } catch {
            return '';
          }
        });
        ctx.out.error(`task ${f.name} failed: ${f.message}`);
        const tail = details.trimEnd().split('\n').slice(-20).join('\n');
        if (tail) process.stderr.write(c.dim(tail.replace(/^/gm, '  │ ')) + '\n');
        ctx.out.info(c.dim(`  full output: ${p.label(f.log)}`));
      }
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
      else if (summary.failed.length || summary.blocked.length) process.exitCode = 1;
    } finally {
      p.release();
    }
  },
};
