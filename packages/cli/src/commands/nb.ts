import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { envOverrides, pipelineOptions } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  tasks?: string[];
  inject?: boolean;
  remove?: boolean;
  format?: string;
  env?: string[];
  'entry-point'?: string;
}

const KNOWN = ['tasks', 'inject', 'i', 'remove', 'r', 'format', 'f', 'env', 'entry-point', 'e'];

export const nbCommand: CommandModule<GlobalArgs, Args> = {
  command: 'nb [tasks..]',
  describe:
    "Work on task sources in Jupyter: inject or remove the run's parameters cell, convert between .ipynb and .py",
  builder: (y) =>
    pipelineOptions(
      y
        .positional('tasks', {
          type: 'string',
          array: true,
          describe: 'tasks whose sources to change (default: every notebook task)',
        })
        .option('inject', {
          alias: 'i',
          type: 'boolean',
          describe: 'add the injected-parameters cell (upstream, product, params) a run would use',
        })
        .option('remove', { alias: 'r', type: 'boolean', describe: 'remove the injected-parameters cell' })
        .option('format', {
          alias: 'f',
          type: 'string',
          describe: 'convert the sources in place: ipynb, py:percent or py:light (pipeline.yaml follows)',
        })
        .conflicts('inject', ['remove', 'format'])
        .conflicts('remove', 'format')
        .check((a) => {
          if (!a.inject && !a.remove && a.format === undefined)
            throw new Error('say what to do: --inject, --remove or --format FORMAT');
          return true;
        }),
    )
      .example('$0 nb --inject clean', 'open tasks/clean.py in Jupyter with the paths of a run')
      .example('$0 nb --remove', 'before committing')
      .example('$0 nb --format ipynb', 'every .py source becomes a notebook; pipeline.yaml is updated'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, KNOWN);
    const { loadPipeline, readTaskNotebooks, convertTaskNotebooks, injectOrRemoveParameters } =
      await import('@nbpipe/pipeline');
    const p = await loadPipeline({ cwd: ctx.cwd, entryPoint: argv['entry-point'], env, lock: true });
    try {
      for (const w of p.warnings) ctx.out.warn(w);
      const sources = await readTaskNotebooks(p, argv.tasks);
      if (sources.length === 0) ctx.out.info('no notebook tasks');
      else if (argv.format !== undefined) await convertTaskNotebooks(p, sources, argv.format, ctx.out);
      else await injectOrRemoveParameters(p, sources, Boolean(argv.inject), ctx.out);
    } finally {
      p.release();
    }
  },
};
