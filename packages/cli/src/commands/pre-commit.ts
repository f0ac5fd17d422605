import type { CommandModule } from 'yargs';
import type { StripOptions } from '@nbpipe/strip/strip';
import { createContext, type GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  strip?: boolean;
  sync?: boolean;
  afterCommit?: boolean;
}

export const preCommitCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pre-commit',
  describe:
    'Check what is staged: sync paired files and stage their updates, strip staged notebooks the filter does not clean',
  builder: (y) =>
    y
      .option('strip', {
        type: 'boolean',
        default: true,
        describe: 'strip staged notebooks not already cleaned by the nbpipe git filter (--no-strip: leave them)',
      })
      .option('sync', {
        type: 'boolean',
        default: true,
        describe: 'sync staged members of paired notebooks (--no-sync: leave pairs)',
      })
      .option('after-commit', {
        type: 'boolean',
        describe:
          'run by the post-commit hook: after `git commit -- <paths>`, put what the pre-commit run staged into the index too',
      })
      .epilog(
        'Works on the staged versions only: a partially staged file commits its staged part and keeps its unstaged edits. ' +
          'A paired file that is updated is also rewritten in the working tree when it has no unstaged edits there ' +
          '(a .ipynb keeps its outputs). Exit 1 when both members of a pair were edited in ways that disagree, or when a notebook or ' +
          'a pair member still holds merge conflicts; after a conflicted merge the member you resolved is kept and the other regenerated from it.',
      )
      .example('$0 pre-commit', 'run by the pre-commit hook that `nbpipe install` sets up'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { config, filepath } = await ctx.config();
    const { requireRepository } = await import('@nbpipe/git');
    const { runPreCommit, restageAfterPartialCommit } = await import('@nbpipe/precommit');
    const repo = await requireRepository(ctx.cwd);
    if (argv.afterCommit) {
      for (const path of await restageAfterPartialCommit(repo)) ctx.out.info(`nbpipe: staged ${path} as committed`);
      return;
    }
    const report = await runPreCommit(repo, {
      strip: argv.strip,
      sync: argv.sync,
      stripOptions: config.strip as StripOptions | undefined,
      pairing: config.pairing,
      configPath: filepath,
      warn: (message) => ctx.out.warn(message),
    });
    for (const warning of report.warnings) ctx.out.warn(warning);
    for (const { source, staged } of report.synced)
      ctx.out.info(`nbpipe: synced from ${source}, staged ${staged.join(', ')}`);
    for (const path of report.stripped) ctx.out.info(`nbpipe: stripped outputs from the staged ${path}`);
    if (report.conflicts.length > 0) {
      for (const conflict of report.conflicts) ctx.out.error(`commit stopped: ${conflict.message}`);
      if (report.conflicts.some((c) => c.kind === 'disagree'))
        ctx.out.error(
          'Make the pair agree, then commit again: keep one side with `nbpipe sync --prefer text <file>` (or `--prefer notebook`) and `git add` both files, ' +
            'or unstage the side you did not mean to change (`git restore --staged <file>`).',
        );
      process.exitCode = 1;
    }
  },
};
