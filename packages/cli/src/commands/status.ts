import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { envOverrides, pipelineOptions, loadCommandPipeline } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  json?: boolean;
  env?: string[];
  'entry-point'?: string;
}

/** `3 min ago`, `2 days ago`. */
function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export const statusCommand: CommandModule<GlobalArgs, Args> = {
  command: 'status',
  describe: 'Show each task of the pipeline: up to date or outdated and why, last run and duration',
  builder: (y) =>
    pipelineOptions(y.option('json', { type: 'boolean', describe: 'print JSON: one object per task' }))
      .example('$0 status', 'table of tasks')
      .example('$0 status --json', 'for scripts'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, ['json', 'env', 'entry-point', 'e']);
    const { evaluatePipeline, formatDuration, activeSlurmJobs } = await import('@nbpipe/pipeline');
    const p = await loadCommandPipeline(ctx, argv['entry-point'], env);
    if (p.envFile) ctx.out.info(`env: ${p.label(p.envFile)}`);
    const statuses = evaluatePipeline(p);
    // Jobs of `run --slurm` still pending or running (Slurm is asked only when some were submitted).
    const jobs = new Map(
      (
        await activeSlurmJobs(p).catch((e: Error) => {
          ctx.out.warn(`cannot tell which Slurm jobs are still running: ${e.message}`);
          return [];
        })
      ).map((j) => [j.task, j]),
    );
    if (argv.json) {
      const rows = statuses.map((s) => {
        const task = p.byName.get(s.name)!;
        return {
          name: s.name,
          status: jobs.get(s.name)?.state.toLowerCase() ?? (s.outdated ? 'outdated' : 'up to date'),
          reasons: s.reasons,
          ...(jobs.has(s.name) ? { slurmJob: jobs.get(s.name)!.id } : {}),
          source: task.spec.source,
          product: task.spec.product,
          upstream: task.upstream,
          lastRun: s.record
            ? {
                startedAt: s.record.startedAt,
                durationMs: s.record.durationMs,
                status: s.record.status,
                head: s.record.head ?? null,
              }
            : null,
        };
      });
      ctx.out.print(JSON.stringify(rows, null, 2));
      return;
    }
    const c = ctx.out.color;
    const rows = statuses.map((s) => [
      s.name,
      jobs.get(s.name)?.state.toLowerCase() ?? (s.outdated ? 'outdated' : 'up to date'),
      jobs.has(s.name) ? `slurm job ${jobs.get(s.name)!.id}` : s.outdated ? s.reasons.join(', ') : '',
      s.record ? `${age(s.record.startedAt)}${s.record.status === 'failed' ? ' (failed)' : ''}` : 'never',
      s.record ? formatDuration(s.record.durationMs) : '',
    ]);
    const header = ['TASK', 'STATUS', 'WHY', 'LAST RUN', 'TOOK'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const paint = (cell: string, i: number) =>
      i !== 1 ? cell : cell.startsWith('outdated') ? c.yellow(cell) : cell === 'up to date' ? c.green(cell) : cell;
    const line = (cells: string[], color: boolean) =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .map((cell, i) => (color ? paint(cell, i) : cell))
        .join('  ')
        .trimEnd();
    const out = [c.bold(line(header, false)), ...rows.map((r) => line(r, true))];
    const outdated = statuses.filter((s) => s.outdated).length;
    ctx.out.print(out.join('\n'));
    ctx.out.info(
      `${statuses.length} task(s), ${outdated} outdated${jobs.size ? `, ${jobs.size} pending or running on Slurm` : ''}`,
    );
  },
};
