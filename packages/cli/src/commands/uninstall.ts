import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { hookStepsFor, installOptions, printChanges, resolveTarget, selectSteps, type InstallArgs } from './install.js';

export const uninstallCommand: CommandModule<GlobalArgs, InstallArgs> = {
  command: 'uninstall',
  describe: 'Remove exactly what `nbpipe install` added (git config keys, attribute lines); leave everything else',
  builder: (y) => installOptions(y).example('$0 uninstall --global', 'undo `nbpipe install --global`'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { uninstallSteps } = await import('@nbpipe/git');
    const target = await resolveTarget(ctx, argv);
    const changes = await uninstallSteps(
      [...(await selectSteps(argv)), ...(await hookStepsFor(argv, target, true))],
      target,
    );
    printChanges(ctx, changes);
    const where = target.scope === 'global' ? 'globally' : `in ${target.repo!.root}`;
    ctx.out.info(changes.length === 0 ? `nbpipe was not installed ${where}` : `nbpipe uninstalled ${where}`);
  },
};
