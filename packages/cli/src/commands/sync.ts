import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  paths: string[];
  check?: boolean;
  prefer?: 'text' | 'notebook';
}

export const syncCommand: CommandModule<GlobalArgs, Args> = {
  command: 'sync <paths..>',
  describe:
    'Bring the other files of each pair up to date from the newest one (cells from a text, outputs kept in the .ipynb)',
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'any member of each pair (.ipynb or text)',
      })
      .option('check', { type: 'boolean', describe: 'write nothing; exit 1 if any pair is out of step or in conflict' })
      .option('prefer', {
        choices: ['text', 'notebook'] as const,
        describe: "when both sides changed their cells since the last sync, keep this side's cells",
      })
      .epilog(
        'The source of a pair is the member whose cells changed since the last sync (remembered per clone in ' +
          '.git/nbpipe/sync-state.json, else taken from the last commit), or, when that is unknown or none changed, ' +
          'the newest file. When two members changed their cells differently, nothing is written and the exit code is 1.',
      )
      .example(
        '$0 sync analysis.py',
        'after editing the script: update analysis.ipynb, keeping outputs of unchanged cells',
      )
      .example('$0 sync --check notebooks/*.ipynb', 'fail in CI if a pair is out of step')
      .example('$0 sync --prefer text analysis.py', 'resolve a conflict by keeping the text'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { config, filepath } = await ctx.config();
    const { syncPaths } = await import('@nbpipe/sync');
    const outcomes = await syncPaths(argv.paths, {
      cwd: ctx.cwd,
      check: argv.check,
      prefer: argv.prefer,
      pairing: config.pairing,
      configPath: filepath,
      warn: (message) => ctx.out.warn(message.split(`${ctx.cwd}/`).join('')),
    });
    const show = (p: string) => relative(ctx.cwd, p) || p;
    let found = 0;
    for (const o of outcomes) {
      const pair = o.members.map(show).join(' ⇄ ');
      if (o.status === 'unpaired') ctx.out.warn(`${show(o.path)} is not paired: ${o.message}; nothing to sync`);
      else if (o.status === 'conflict') {
        found++;
        ctx.out.print(`conflict: ${o.message}`);
      } else if (o.status === 'in-sync') ctx.out.info(`${pair}: in sync`);
      else {
        const cells = o.cells
          ? ` (${o.cells.same} cell(s) kept their outputs, ${o.cells.edited} edited, ${o.cells.new} new)`
          : '';
        const what = `${o.changed.map(show).join(', ')} from ${show(o.source!)}${cells}`;
        if (o.status === 'out-of-sync') {
          found++;
          ctx.out.print(`${pair}: out of step; would update ${what}`);
        } else ctx.out.info(`${pair}: updated ${what}`);
      }
    }
    if (found > 0) process.exitCode = 1;
  },
};
