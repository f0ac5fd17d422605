import { readFileSync } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import type { Pipeline, RunSummary } from '@nbpipe/pipeline';
import type { Argv } from 'yargs';
import type { Context } from './context.js';
import { CliError } from './errors.js';

// What the commands that load a pipeline share (run, run --slurm, status, plot, export, nb).

/** The project's pairing settings, so the pipeline finds paired sources as `nbpipe sync` does. */
export async function pipelinePairing(ctx: Context) {
  const { config, filepath } = await ctx.config();
  return { pairing: config.pairing, configPath: filepath, warn: (message: string) => ctx.out.warn(message) };
}

/** The pipeline a read-only command names (`-e`, `--env-NAME`), found with the project's pairing; its warnings shown. */
export async function loadCommandPipeline(
  ctx: Context,
  entryPoint: string | undefined,
  env: Record<string, string>,
): Promise<Pipeline> {
  const { loadPipeline } = await import('@nbpipe/pipeline');
  const p = await loadPipeline({ cwd: ctx.cwd, entryPoint, env, pairing: await pipelinePairing(ctx) });
  for (const w of p.warnings) ctx.out.warn(w);
  return p;
}

/** Options every pipeline command takes: where the pipeline is and env.yaml overrides. */
export function pipelineOptions<T>(y: Argv<T>) {
  return (
    y
      .option('entry-point', {
        alias: 'e',
        type: 'string',
        describe: 'pipeline.yaml to use (default: searched from the current folder up)',
      })
      .option('env', {
        type: 'string',
        array: true,
        describe: "override an env.yaml value: --env sample=true (Ploomber's --env--sample true works too)",
      })
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
  const allowed = new Set([
    ...GLOBAL_OPTIONS,
    ...known,
    ...known.map((k) => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())),
  ]);
  const overrides: Record<string, string> = {};
  for (const item of (argv.env as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`--env ${item}: expected KEY=VALUE`);
    overrides[item.slice(0, eq)] = item.slice(eq + 1);
  }
  for (const [key, value] of Object.entries(argv)) {
    if (allowed.has(key)) continue;
    if (key.startsWith('env--'))
      overrides[key.slice(5).split('--').join('.')] = String(Array.isArray(value) ? value[value.length - 1] : value);
    else if (!/^env[A-Z]/.test(key)) throw new CliError(`unknown option ${key.length === 1 ? '-' : '--'}${key}`);
  }
  return overrides;
}

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
      ctx.out.print(
        `  ${r.name.padEnd(width)}  ${formatDuration(r.durationMs).padStart(7)}  ${String(total ? Math.round((100 * r.durationMs) / total) : 0).padStart(3)}%`,
      );
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
