import { relative, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  notebooks: string[];
  formats?: string;
  force?: boolean;
}

export const pairCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pair <notebooks..>',
  describe: 'Pair notebooks with text files (jupytext.formats) and write them',
  builder: (y) =>
    y
      .positional('notebooks', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'each a .ipynb or a text notebook (.py, .md, …)',
      })
      .option('formats', {
        type: 'string',
        describe:
          "the pairing, e.g. ipynb,py:percent or notebooks///ipynb,scripts///py:percent; one format unpairs (default: the project's, not recorded in the notebook)",
      })
      .option('force', {
        type: 'boolean',
        describe: 'replace the cells of existing files that differ (a .ipynb keeps the outputs of unchanged cells)',
      })
      .epilog(
        'Every notebook is read and its pair planned before anything is written: bad input anywhere writes nothing (exit 2).',
      )
      .example('$0 pair analysis.ipynb --formats ipynb,py:percent', 'write analysis.py and record the pairing')
      .example('$0 pair notebooks/*.ipynb --formats ipynb,py:percent', 'pair several notebooks at once')
      .example('$0 pair analysis.ipynb --formats ipynb,scripts//py:percent', 'pair with scripts/analysis.py')
      .example('$0 pair analysis.ipynb', 'apply the project\'s pairing (nbpipe config "pairing", or jupytext.toml)'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { config, filepath } = await ctx.config();
    const { pairPath } = await import('@nbpipe/sync');
    const options = {
      cwd: ctx.cwd,
      formats: argv.formats,
      force: argv.force,
      pairing: config.pairing,
      configPath: filepath,
      warn: (message: string) => ctx.out.warn(message.split(`${ctx.cwd}/`).join('')),
    };
    const show = (p: string) => relative(ctx.cwd, p) || p;
    // A dry run of every notebook first (`check` reads and plans, writes nothing), so that an error in any of
    // them stops the command before anything is written.
    const notebooks = [...new Map(argv.notebooks.map((n) => [resolve(ctx.cwd, n), n])).values()];
    const planned = [];
    for (const notebook of notebooks)
      planned.push({ notebook, outcome: await pairPath(notebook, { ...options, check: true }) });
    const pairs = new Set<string>();
    let conflicts = 0;
    for (const { notebook, outcome: dryRun } of planned) {
      // Two members of one pair given: the first one pairs them.
      const key = dryRun.members.join('\0');
      if (pairs.has(key)) continue;
      pairs.add(key);
      const outcome = dryRun.status === 'conflict' ? dryRun : await pairPath(notebook, options);
      if (outcome.status === 'conflict') {
        ctx.out.print(`conflict: ${outcome.message}`);
        conflicts++;
        continue;
      }
      const pair = outcome.members.map(show).join(' ⇄ ');
      if (outcome.changed.length === 0) ctx.out.info(`${pair}: already paired and in sync`);
      else ctx.out.info(`${pair}: wrote ${outcome.changed.map(show).join(', ')}`);
    }
    if (conflicts > 0) process.exitCode = 1;
  },
};
