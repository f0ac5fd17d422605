import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';

export const refreshCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'refresh',
  describe:
    'Stop git showing notebooks as modified when only their outputs changed (git skips the filter when the size changed)',
  builder: (y) =>
    y
      .example('$0 refresh', 'after re-running notebooks, before `git status` or `git checkout <branch>`')
      .epilogue(
        'Nothing is staged: git compares each changed notebook through the clean filter and forgets those that match.',
      ),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { FILTER_NAME, refreshFilteredFiles, requireRepository } = await import('@nbpipe/git');
    const refreshed = await refreshFilteredFiles(await requireRepository(ctx.cwd), FILTER_NAME);
    for (const path of refreshed)
      ctx.out.print(`${path}: only stripped content (outputs) changed; no longer shown as modified`);
    if (refreshed.length === 0) ctx.out.info('no notebook was shown as modified for its outputs alone');
  },
};
