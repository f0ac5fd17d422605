import type { Argv, CommandModule } from 'yargs';
import { isAbsolute, join } from 'node:path';
import type { HookManager, InstallStep, InstallTarget, Repository } from '@nbpipe/git';
import { createContext, type Context, type GlobalArgs } from '../context.js';
import { serverKey } from '../drivers/server.js';
import { CliError } from '../errors.js';
import { INSTALL_DIR, transientInstallProblem } from '../installed.js';

export interface InstallArgs extends GlobalArgs {
  global?: boolean;
  hooks?: HookManager;
  /** false with --no-filter: commit notebooks with their outputs (install only; uninstall removes everything). */
  filter?: boolean;
}

/** Options shared by `install` and `uninstall` (and extended by the steps that add their own switches). */
export function installOptions<T extends GlobalArgs>(y: Argv<T>): Argv<T & InstallArgs> {
  return y.option('global', {
    type: 'boolean',
    describe: "the user's global git config and attributes file (core.attributesFile) instead of this repository's",
  });
}

/**
 * The script git runs for the drivers and the filter: it skips yargs and runs the bundled git-drivers entry, since
 * git starts one process per file.
 */
const GIT_DRIVERS_SCRIPT = join(INSTALL_DIR, 'drivers/git-drivers.cjs');
const DRIVER_CLIENT = join(INSTALL_DIR, 'drivers/driver-client.pl');

/** The git setup to apply, in order; uninstall runs the same list backwards. */
export async function selectSteps(argv: InstallArgs): Promise<InstallStep[]> {
  const { diffMergeSteps, filterSteps } = await import('@nbpipe/git');
  return [...diffMergeSteps(), ...(argv.filter === false ? [] : filterSteps())];
}

/** The CLI script hooks run (once per commit or checkout, so through the full CLI). */
export const CLI_SCRIPT = join(INSTALL_DIR, 'bin/nbpipe.js');

/**
 * A repository's hooks: --hooks, else husky's when the project uses husky, else git's. Uninstall removes
 * both kinds. The global scope has no hooks.
 */
export async function hookStepsFor(
  argv: InstallArgs,
  target: InstallTarget,
  forUninstall = false,
): Promise<InstallStep[]> {
  if (target.scope === 'global' || !target.repo) return [];
  const { hookSteps } = await import('@nbpipe/git');
  const launcher = { node: process.execPath, cli: CLI_SCRIPT };
  if (forUninstall) return [...hookSteps('git', launcher), ...hookSteps('husky', launcher)];
  return hookSteps(await hookManagerFor(argv, target.repo), launcher);
}

/** --hooks, else husky's when the project uses husky, else git's. */
async function hookManagerFor(argv: InstallArgs, repo: Repository): Promise<HookManager> {
  const { projectUsesHusky } = await import('@nbpipe/git');
  return argv.hooks ?? ((await projectUsesHusky(repo)) ? 'husky' : 'git');
}

/**
 * Why git hooks must not be installed here, if they must not: `core.hooksPath` names one folder for
 * every repository (an absolute path from the user's or the system's config), so hooks written there
 * would run — and strip outputs — in repositories that never installed nbpipe.
 */
export async function sharedHooksProblem(repo: Repository): Promise<string | undefined> {
  const { gitConfigOrigin } = await import('@nbpipe/git');
  const origin = await gitConfigOrigin(repo.root, 'core.hooksPath');
  if (
    !origin ||
    !['global', 'system'].includes(origin.scope) ||
    !(isAbsolute(origin.value) || origin.value.startsWith('~'))
  )
    return undefined;
  return `core.hooksPath in ${origin.file} makes ${origin.value} the hooks folder of every repository: nbpipe's hooks there would strip outputs in repositories that never installed nbpipe`;
}

/** Resolve the scope, repository and attributes file; a local install outside a repository is a usage error. */
export async function resolveTarget(ctx: Context, argv: InstallArgs): Promise<InstallTarget> {
  const { findRepository, requireRepository, attributesFileFor } = await import('@nbpipe/git');
  const scope = argv.global ? 'global' : 'local';
  const repo = scope === 'local' ? await requireRepository(ctx.cwd) : await findRepository(ctx.cwd);
  return {
    scope,
    repo,
    attributesFile: await attributesFileFor({ scope, repo }),
    launcher: {
      node: process.execPath,
      script: GIT_DRIVERS_SCRIPT,
      client: { script: DRIVER_CLIENT, key: serverKey(GIT_DRIVERS_SCRIPT) },
    },
  };
}

/** What install or uninstall changed, one line each: a report rather than a result, so --quiet leaves it out. */
export function printChanges(ctx: Context, changes: readonly string[]): void {
  if (!ctx.out.quiet) for (const change of changes) ctx.out.print(change);
}

export const installCommand: CommandModule<GlobalArgs, InstallArgs> = {
  command: 'install',
  describe:
    'Make git diff, log -p, show, merge, rebase and cherry-pick notebook-aware, strip outputs on commit, and add hooks (idempotent; undo with uninstall)',
  builder: (y) =>
    installOptions(y)
      .option('hooks', {
        choices: ['git', 'husky', 'none'] as const,
        describe:
          'pre-commit, post-commit, post-checkout and post-merge hooks: in .git/hooks (chained to existing ones), in .husky/, or none (default: husky if the project uses it, else git)',
      })
      .option('filter', {
        type: 'boolean',
        default: true,
        describe:
          'strip outputs from committed notebooks with a git clean filter; --no-filter leaves it out (and removes one installed before): with --hooks none too, notebooks are committed with their outputs',
      })
      .example('$0 install', 'this repository: .git/config and .gitattributes (commit .gitattributes to share it)')
      .example('$0 install --global', 'every repository of this user: ~/.gitconfig and the global attributes file')
      .example(
        '$0 install --no-filter --hooks none',
        'notebook-aware diff and merge; notebooks are committed with their outputs',
      ),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { filterSteps, installSteps, uninstallSteps } = await import('@nbpipe/git');
    const target = await resolveTarget(ctx, argv);
    if (target.scope === 'local' && target.repo && (await hookManagerFor(argv, target.repo)) === 'git') {
      const shared = await sharedHooksProblem(target.repo);
      if (shared)
        throw new CliError(
          `${shared}. Install without hooks (--hooks none: the filter still strips outputs on commit), or give this repository its own hooks folder (git config core.hooksPath .git/hooks) and run nbpipe install again`,
        );
    }
    // Installed all the same: until npm cleans its cache it works, and then git does what it does without nbpipe.
    const transient = transientInstallProblem();
    if (transient) ctx.out.warn(transient);
    const changes = await installSteps([...(await selectSteps(argv)), ...(await hookStepsFor(argv, target))], target);
    if (argv.filter === false) changes.push(...(await uninstallSteps(filterSteps(), target)));
    printChanges(ctx, changes);
    const where = target.scope === 'global' ? 'globally' : `in ${target.repo!.root}`;
    ctx.out.info(changes.length === 0 ? `nbpipe is already installed ${where}` : `nbpipe installed ${where}`);
    if (target.scope === 'local' && changes.some((c) => c.startsWith(target.attributesFile)))
      ctx.out.info('Commit .gitattributes to share it; each clone runs `nbpipe install` once for its own git config.');
  },
};
