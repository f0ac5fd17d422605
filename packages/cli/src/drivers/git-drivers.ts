#!/usr/bin/env node
/**
 * The entry point git runs for the drivers `nbpipe install` configures: `merge-driver`, `diff-driver` and `textconv`,
 * with the same arguments as the `nbpipe` commands of those names. git starts one process per file (50 changed
 * notebooks, 50 processes), so this skips yargs and the command table, which would double each start-up, and loads
 * only the module of the command it runs.
 */
import { parseArgs } from 'node:util';
import type { OutputStrategy } from '../commands/merge.js';

/**
 * The exit status for "nbpipe's code cannot be loaded" (node_modules or part of dist/ missing), before any input is
 * read: the commands in git config (DRIVER_CANNOT_START in @nbpipe/git) then do what git does without nbpipe. So this
 * file imports nothing but Node built-ins statically: a failed static import would exit 1 before any of it runs.
 */
const CANNOT_START = 75;

/** A module that failed to load (a lazy import of a missing package also surfaces as ERR_MODULE_NOT_FOUND). */
function isLoadFailure(e: unknown): boolean {
  return e instanceof CannotLoad || (e as NodeJS.ErrnoException)?.code === 'ERR_MODULE_NOT_FOUND';
}
class CannotLoad extends Error {}
const load = <T>(module: Promise<T>): Promise<T> =>
  module.catch((e: unknown) => {
    throw new CannotLoad(e instanceof Error ? e.message : String(e));
  });

async function dispatch(command: string | undefined, args: string[]): Promise<number> {
  const { CliError } = await load(import('../errors.js'));
  switch (command) {
    case 'diff-driver':
      // Git's arguments are positional and may look like options (a path starting with `-`): no option parsing.
      await (await load(import('../commands/diff-driver.js'))).runDiffDriver(args);
      return 0;
    case 'textconv':
      if (args.length !== 1) throw new CliError('textconv takes one file');
      await (await load(import('../commands/textconv.js'))).runTextconv(args[0]!);
      return 0;
    case 'merge-driver': {
      const { runMergeDriver } = await load(import('../commands/merge-driver.js'));
      const { OUTPUT_STRATEGIES } = await load(import('../commands/merge.js'));
      const { Output } = await load(import('../output.js'));
      const { values, positionals } = parseArgs({
        args,
        options: { outputs: { type: 'string' } },
        allowPositionals: true,
      });
      const outputs = values.outputs as OutputStrategy | undefined;
      if (outputs !== undefined && !OUTPUT_STRATEGIES.includes(outputs))
        throw new CliError(`--outputs must be one of ${OUTPUT_STRATEGIES.join(', ')}, got ${outputs}`);
      const [base, current, other, markerSize, path] = positionals;
      if (!base || !current || !other) throw new CliError('merge-driver takes %O %A %B [%L [%P]]');
      // Clean merges stay silent inside `git merge`; conflicts and errors still print.
      return runMergeDriver(
        { base, current, other, markerSize: markerSize ? Number(markerSize) : undefined, path, outputs },
        new Output(true),
      );
    }
    case 'filter-process':
      return (await load(import('../commands/filter-process.js'))).runFilterProcess();
    case 'clean':
      return (await load(import('../commands/filter-process.js'))).runCleanFilter(args[0] ?? '');
    case 'serve-drivers':
      // Started in the background by drivers/driver-client.pl, with this script's path as git config spells it.
      await (await load(import('./server.js'))).serveDrivers(args[0] ?? process.argv[1]!);
      return 0;
    default:
      throw new CliError(
        `unknown git driver command ${JSON.stringify(command)} (expected diff-driver, textconv, merge-driver, filter-process, clean or serve-drivers)`,
      );
  }
}

const [command, ...args] = process.argv.slice(2);
dispatch(command, args).then(
  (code) => {
    process.exitCode = code;
  },
  async (e: unknown) => {
    // Once the filter has read git's input, git cannot be handed to a fallback any more.
    const inputUntouched = command !== 'filter-process' && command !== 'clean' ? true : !process.stdin.readableDidRead;
    if (isLoadFailure(e) && inputUntouched) {
      process.stderr.write(`nbpipe: cannot start (${(e as Error).message.split('\n')[0]})\n`);
      process.exitCode = CANNOT_START;
      return;
    }
    const [{ describeError }, { Output }] = await Promise.all([import('../errors.js'), import('../output.js')]);
    new Output().error(describeError(e).message);
    process.exitCode = 2;
  },
);
