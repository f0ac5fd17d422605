import type { Pipeline, RunOptions, SlurmSettings } from '@nbpipe/pipeline';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { CLI_SCRIPT } from './install.js';
import { onInterrupt, pipelineArgs, reportRun } from '../pipeline-commands.js';

/** The configuration's `slurm` section: the default resources of every job (types are checked with the configuration). */
export async function slurmDefaults(ctx: Context): Promise<SlurmSettings> {
  const { config, filepath } = await ctx.config();
  if (config.slurm === undefined) return {};
  const { slurmSettingsProblem, toSlurmSettings } = await import('@nbpipe/pipeline');
  const wrong = slurmSettingsProblem(config.slurm);
  if (wrong) throw new CliError(`${filepath}: "slurm${wrong.key ? `.${wrong.key}` : ''}": ${wrong.problem}`);
  return toSlurmSettings(config.slurm as Record<string, unknown>);
}

/**
 * `nbpipe run --slurm`: submit the plan as Slurm jobs running this same CLI on the nodes, then follow them (or, with
 * `detach`, print their ids and return). The project folder must be on a filesystem the nodes share.
 */
export async function runOnSlurm(
  ctx: Context,
  p: Pipeline,
  options: Omit<RunOptions, 'jobs' | 'onEvent' | 'signal'>,
  { env, keepGoing, detach }: { env: Record<string, string>; keepGoing?: boolean; detach?: boolean },
): Promise<void> {
  const controller = new AbortController();
  const stopListening = onInterrupt(ctx, controller, 'cancelling the submitted jobs');
  try {
    await submitAndFollow(ctx, p, options, { env, keepGoing, detach, signal: controller.signal });
  } catch (e) {
    if (!controller.signal.aborted) throw e;
    ctx.out.error((e as Error).message);
    process.exitCode = 130;
  } finally {
    stopListening();
  }
}

async function submitAndFollow(
  ctx: Context,
  p: Pipeline,
  options: Omit<RunOptions, 'jobs' | 'onEvent' | 'signal'>,
  {
    env,
    keepGoing,
    detach,
    signal,
  }: { env: Record<string, string>; keepGoing?: boolean; detach?: boolean; signal: AbortSignal },
): Promise<void> {
  const { submitToSlurm, followSlurmJobs, createProgress, runPipelineHook, runEndOfRunHook } =
    await import('@nbpipe/pipeline');
  const { nodeCommand } = await import('@nbpipe/git');
  // The pipeline's own hooks run here, once for the run; each job runs only its task's hooks.
  const renderFailure = await runPipelineHook(p, 'on_render', {}, signal);
  if (renderFailure) {
    ctx.out.error(renderFailure);
    process.exitCode = 1;
    return;
  }
  const submission = await submitToSlurm(
    p,
    { ...options, signal },
    {
      command: nodeCommand(process.execPath, CLI_SCRIPT),
      pipelineArgs: pipelineArgs(p, env),
      defaults: await slurmDefaults(ctx),
    },
  );
  const c = ctx.out.color;
  const width = Math.min(40, Math.max(0, ...[...submission.active, ...submission.submitted].map((j) => j.task.length)));
  for (const job of submission.active)
    ctx.out.info(
      `  ${job.task.padEnd(width)}  job ${job.id} ${c.dim(`(already ${job.state.toLowerCase()}, not submitted again)`)}`,
    );
  for (const job of submission.submitted)
    ctx.out.info(`  ${job.task.padEnd(width)}  job ${job.id}  ${c.dim(p.label(job.log))}`);
  ctx.out.info(
    `submitted ${submission.submitted.length} job(s) to Slurm${submission.active.length ? `, ${submission.active.length} still pending or running` : ''}`,
  );
  if (detach) {
    if (p.spec.hooks.on_finish || p.spec.hooks.on_failure)
      ctx.out.warn('the pipeline on_finish and on_failure hooks do not run with --detach: nothing follows the jobs');
    // The ids on stdout, one per line, for scripts (`squeue -j $(nbpipe run --slurm --detach | paste -sd,)`).
    for (const job of submission.submitted) ctx.out.print(job.id);
    return;
  }
  const progress = ctx.out.quiet ? undefined : createProgress(process.stderr, c);
  let summary;
  try {
    summary = await followSlurmJobs(p, submission, {
      targets: options.targets,
      keepGoing,
      signal,
      onEvent: (e) => progress?.onEvent(e),
    });
  } finally {
    progress?.stop();
  }
  if (!summary.interrupted) {
    const durations = new Map(summary.ran.map((r) => [r.name, r.durationMs]));
    const report = submission.submitted.map((job) => ({
      name: job.task,
      ran: durations.has(job.task),
      elapsed: (durations.get(job.task) ?? 0) / 1000,
    }));
    summary.hookFailure = await runEndOfRunHook(p, summary.failed, report, signal);
  }
  await reportRun(ctx, p, summary);
}
