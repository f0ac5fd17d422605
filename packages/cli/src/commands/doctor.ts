import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { describeError } from '../errors.js';
import { INSTALL_DIR, NBPIPE_VERSION, transientInstallProblem } from '../installed.js';
import {
  hookStepsFor,
  installOptions,
  resolveTarget,
  selectSteps,
  sharedHooksProblem,
  type InstallArgs,
} from './install.js';

export const doctorCommand: CommandModule<GlobalArgs, InstallArgs> = {
  command: 'doctor',
  describe: 'Show what `nbpipe install` set up here, and what is missing or broken (exit 1 if anything is)',
  builder: (y) =>
    installOptions(y)
      .example('$0 doctor', 'check this repository')
      .example('$0 doctor --global', 'check the global install'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const c = ctx.out.color;
    let broken = 0;
    const report = (ok: boolean, what: string, problems: string[] = []) => {
      if (!ok) broken++;
      ctx.out.print(`${ok ? c.green('ok') : c.red('broken')}  ${what}`);
      for (const problem of problems) ctx.out.print(`      ${problem}`);
    };

    // What `install` writes into git config and hooks names this copy (and the node running it).
    const transient = transientInstallProblem();
    report(
      !transient,
      `nbpipe ${NBPIPE_VERSION}: ${INSTALL_DIR} (node ${process.execPath})`,
      transient ? [transient] : [],
    );

    try {
      const { filepath } = await ctx.config();
      ctx.out.print(`${c.green('ok')}  configuration: ${filepath ?? 'none (defaults)'}`);
    } catch (e) {
      report(false, 'configuration', [describeError(e).message]);
    }

    const target = await resolveTarget(ctx, argv);
    const steps = await selectSteps(argv);
    if (target.scope === 'local' && target.repo) {
      const { installedHookManager } = await import('@nbpipe/git');
      const manager = await installedHookManager(target.repo);
      if (manager === 'none') ctx.out.print(`${c.dim('--')}  hooks: none (optional: nbpipe install --hooks git|husky)`);
      else steps.push(...(await hookStepsFor({ ...argv, hooks: manager }, target)));
      const shared = manager === 'git' ? await sharedHooksProblem(target.repo) : undefined;
      if (shared)
        report(false, 'hooks folder', [shared, 'run `nbpipe uninstall`, then see `nbpipe install` in the README']);
    }
    const checks = await Promise.all(steps.map((step) => step.check(target)));
    // A part install may leave out (--no-filter) is "none" when wholly absent; partly there, it is broken.
    const absentParts = new Set(steps.map((step) => step.optionalPart).filter((part) => part !== undefined));
    steps.forEach((step, i) => {
      if (step.optionalPart !== undefined && !checks[i]!.absent) absentParts.delete(step.optionalPart);
    });
    steps.forEach((step, i) => {
      if (step.optionalPart === undefined || !absentParts.has(step.optionalPart))
        report(checks[i]!.ok, step.description, checks[i]!.problems);
    });
    for (const part of absentParts)
      ctx.out.print(
        `${c.dim('--')}  ${part}: none (optional: nbpipe install${argv.global ? ' --global' : ''} adds it)`,
      );

    if (broken > 0) {
      ctx.out.info(
        `\n${broken} problem${broken > 1 ? 's' : ''}: run \`nbpipe install${argv.global ? ' --global' : ''}\` to set up what is missing.`,
      );
      process.exitCode = 1;
    }
  },
};
