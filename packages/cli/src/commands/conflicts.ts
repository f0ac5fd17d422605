import { relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { readText } from '../io.js';

interface Args extends GlobalArgs {
  paths: string[];
}

export const conflictsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'conflicts [paths..]',
  describe:
    'List the merge conflicts left in notebooks and their paired files; exit 1 while any remain (for CI and hooks)',
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        default: [],
        describe:
          'notebooks or paired text files to check (default: every conflicted notebook and pair member of the repository)',
      })
      .epilog(
        'Without paths, lists what `git diff --name-only --diff-filter=U` lists among notebooks and pair members, the pair members ' +
          'resolved with `git add` that still hold markers, and every tracked notebook that still holds conflict markers or records.',
      )
      .example('$0 conflicts', 'every conflict left in the repository after a merge')
      .example('$0 conflicts analysis.ipynb analysis.py', 'which cells and lines still hold conflict markers'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { describeConflict, findFileConflicts } = await import('@nbpipe/merge');
    const show = (path: string) => relative(ctx.cwd, path) || path;
    let total = 0;
    const report = (path: string, descriptions: string[]) => {
      total += descriptions.length;
      for (const description of descriptions) ctx.out.print(`${path}: ${description}`);
    };
    if (argv.paths.length > 0) {
      for (const path of argv.paths) report(path, findFileConflicts(path, await readText(path)).map(describeConflict));
    } else {
      const { config, filepath } = await ctx.config();
      const { requireRepository } = await import('@nbpipe/git');
      const { conflictedFiles } = await import('@nbpipe/sync');
      const repo = await requireRepository(ctx.cwd);
      for (const file of await conflictedFiles(repo, { pairing: config.pairing, configPath: filepath })) {
        const path = show(file.path);
        const left = file.conflicts.map(describeConflict);
        report(
          path,
          left.length > 0 ? left : [`unmerged, no conflict marker left: \`git add ${path}\` marks it resolved`],
        );
      }
    }
    if (total > 0) {
      ctx.out.info(`${total} conflict${total === 1 ? '' : 's'} left`);
      process.exitCode = 1;
    } else ctx.out.info('no conflicts');
  },
};
