import type { CommandModule } from 'yargs';
import { isNotebookError } from '@nbpipe/nbformat';
import { createContext, type GlobalArgs } from '../context.js';
import { describeError } from '../errors.js';
import { readNotebook } from '../io.js';

interface Args extends GlobalArgs {
  notebooks: string[];
}

export const validateCommand: CommandModule<GlobalArgs, Args> = {
  command: 'validate <notebooks..>',
  describe:
    'Check notebooks against the nbformat 4 rules; exit 1 listing every invalid one (slips repaired on read included), 2 if one is not a notebook',
  builder: (y) =>
    y
      .positional('notebooks', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'notebooks to check (- for stdin)',
      })
      .example('$0 validate notebooks/*.ipynb', 'check every notebook in a folder'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    let invalid = 0;
    let unreadable = 0;
    for (const path of argv.notebooks) {
      try {
        const { repairs } = await readNotebook(path);
        if (repairs.length === 0) ctx.out.info(`${path}: valid`);
        else {
          // Every reader accepts these (README, "Slips repaired on read"), but the file itself is not valid.
          invalid++;
          for (const { path: where, problem, repaired } of repairs)
            ctx.out.print(
              `${path}: ${where}: ${problem} (${repaired ? 'repaired on read; `nbpipe fmt` writes the repair' : 'read and kept as written, as Jupyter does'})`,
            );
        }
      } catch (e) {
        // A notebook that breaks the rules is a finding (1); one that cannot be read as a notebook at all is bad input (2).
        if (isNotebookError(e) && e.code === 'INVALID') {
          invalid++;
          ctx.out.print(e.message);
        } else {
          unreadable++;
          ctx.out.error(describeError(e).message);
        }
      }
    }
    if (invalid > 0) ctx.out.info(`${invalid} of ${argv.notebooks.length} notebook(s) invalid`);
    if (unreadable > 0) process.exitCode = 2;
    else if (invalid > 0) process.exitCode = 1;
  },
};
