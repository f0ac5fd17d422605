import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  notebook: string;
  formats?: string;
  force?: boolean;
}

export const pairCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pair <notebook>',
  describe: 'Pair a notebook with text files (jupytext.formats) and write them',
  builder: (y) =>
    y
      .positional('notebook', { type: 'string', demandOption: true, describe: 'a .ipynb or a text notebook (.py, .md, …)' })
      .option('formats', {
        type: 'string',
        describe:
          'the pairing, e.g. ipynb,py:percent or notebooks///ipynb,scripts///py:percent; one format unpairs (default: the project\'s, not recorded in the notebook)',
      })
      .option('force', { type: 'boolean', describe: 'replace the cells of existing files that differ (a .ipynb keeps the outputs of unchanged cells)' })
      .example('$0 pair analysis.ipynb --formats ipynb,py:percent', 'write analysis.py and record the pairing')
      .example('$0 pair analysis.ipynb --formats ipynb,scripts//py:percent', 'pair with scripts/analysis.py')
      .example('$0 pair analysis.ipynb', "apply the project's pairing (nbpipe config \"pairing\", or jupytext.toml)"),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { config, filepath } = await ctx.config();
    const { pairPath } = await import('@nbpipe/hooks');
    const outcome = await pairPath(argv.notebook, {
      cwd: ctx.cwd,
      formats: argv.formats,
      force: argv.force,
      pairing: config.pairing,
      configPath: filepath,
      warn: (message) => ctx.out.warn(message.split(`${ctx.cwd}/`).join('')),
    });
    const show = (p: string) => relative(ctx.cwd, p) || p;
    if (outcome.status === 'conflict') {
      ctx.out.print(`conflict: ${outcome.message}`);
      process.exitCode = 1;
      return;
    }
    const pair = outcome.members.map(show).join(' ⇄ ');
    if (outcome.changed.length === 0) ctx.out.info(`${pair}: already paired and in sync`);
    else ctx.out.info(`${pair}: wrote ${outcome.changed.map(show).join(', ')}`);
  },
};
