import type { CommandModule } from 'yargs';
import { serialize } from '@nbpipe/nbformat';
import { createContext, type GlobalArgs } from '../context.js';
import { readNotebook, writeText } from '../io.js';

interface Args extends GlobalArgs {
  notebooks: string[];
  check?: boolean;
}

export const fmtCommand: CommandModule<GlobalArgs, Args> = {
  command: 'fmt <notebooks..>',
  describe: "Rewrite notebooks in Jupyter's canonical form",
  builder: (y) =>
    y
      .positional('notebooks', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'notebooks (- reads stdin, writes stdout)',
      })
      .option('check', { type: 'boolean', describe: 'write nothing; exit 1 if any notebook would change' })
      .example('$0 fmt analysis.ipynb', 'rewrite in place')
      .example('$0 fmt --check **/*.ipynb', 'fail in CI if any notebook is not canonical')
      .example('cat a.ipynb | $0 fmt -', 'format a stream'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    // Read and format everything first: on bad input nothing is written.
    const results = [];
    for (const path of argv.notebooks) {
      // Jupyter writes structurally invalid notebooks too; formatting must not refuse what Jupyter accepts.
      const { text, notebook } = await readNotebook(path, { validate: false });
      results.push({ path, text, formatted: serialize(notebook) });
    }
    let changed = 0;
    for (const { path, text, formatted } of results) {
      if (path === '-') {
        if (!argv.check) await writeText('-', formatted);
        else if (formatted !== text) changed++;
        continue;
      }
      if (formatted === text) continue;
      changed++;
      if (argv.check) ctx.out.print(`${path}: would reformat`);
      else {
        await writeText(path, formatted);
        ctx.out.info(`${path}: reformatted`);
      }
    }
    if (argv.check && changed > 0) process.exitCode = 1;
  },
};
