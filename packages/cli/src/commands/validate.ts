import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { describeError } from '../errors.js';
import { readNotebook } from '../io.js';

interface Args extends GlobalArgs {
  notebooks: string[];
}

export const validateCommand: CommandModule<GlobalArgs, Args> = {
  command: 'validate <notebooks..>',
  describe: 'Check notebooks against the nbformat 4 rules; exit 1 listing every invalid one',
  builder: (y) =>
    y
      .positional('notebooks', { type: 'string', array: true, demandOption: true, describe: 'notebooks to check (- for stdin)' })
      .example('$0 validate notebooks/*.ipynb', 'check every notebook in a folder'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    let invalid = 0;
    for (const path of argv.notebooks) {
      try {
        await readNotebook(path);
        ctx.out.info(`${path}: valid`);
      } catch (e) {
        invalid++;
        ctx.out.print(describeError(e).message);
      }
    }
    if (invalid > 0) {
      ctx.out.info(`${invalid} of ${argv.notebooks.length} notebook(s) invalid`);
      process.exitCode = 1;
    }
  },
};
