import type { CommandModule } from 'yargs';
import { parse } from '@nbpipe/nbformat';
import { createContext, type GlobalArgs } from '../context.js';
import { readText } from '../io.js';

/** Where git's own text merge left markers (the notebook is then not JSON): 1-based line numbers. */
function textMarkerLines(text: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^<{7}( |$)/.test(line)) lines.push(i + 1);
  });
  return lines;
}

interface Args extends GlobalArgs {
  notebooks: string[];
}

export const conflictsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'conflicts <notebooks..>',
  describe: 'List the merge conflicts left in notebooks; exit 1 while any remain (for CI and hooks)',
  builder: (y) =>
    y
      .positional('notebooks', { type: 'string', array: true, demandOption: true, describe: 'notebooks to check' })
      .example('$0 conflicts analysis.ipynb', 'which cells still hold conflict markers after a merge')
      .example('git diff --name-only --diff-filter=U -- "*.ipynb" | xargs $0 conflicts', 'every conflicted notebook'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { findConflicts } = await import('@nbpipe/merge');
    let total = 0;
    for (const path of argv.notebooks) {
      const text = await readText(path);
      let notebook;
      try {
        notebook = parse(text, { path });
      } catch (e) {
        // git's own text merge (the fallback when nbpipe cannot merge) leaves markers that break the JSON.
        const markers = textMarkerLines(text);
        if (markers.length === 0) throw e;
        total += markers.length;
        ctx.out.print(`${path}: not a notebook: git text conflict markers at line${markers.length === 1 ? '' : 's'} ${markers.join(', ')}`);
        continue;
      }
      const conflicts = findConflicts(notebook);
      total += conflicts.length;
      for (const c of conflicts)
        ctx.out.print(`${path}: ${c.cellIndex === null ? 'notebook' : `cell ${c.cellIndex}`} (${c.kind}): ${c.message}`);
    }
    if (total > 0) {
      ctx.out.info(`${total} conflict${total === 1 ? '' : 's'} left`);
      process.exitCode = 1;
    } else ctx.out.info('no conflicts');
  },
};
