#!/usr/bin/env node
/**
 * The entry point git runs for the drivers `nbpipe install` configures: `merge-driver`, `diff-driver` and `textconv`,
 * with the same arguments as the `nbpipe` commands of those names. git starts one process per file (50 changed
 * notebooks, 50 processes), so this skips yargs and the command table, which would double each start-up, and loads
 * only the module of the command it runs.
 */
import { parseArgs } from 'node:util';
import type { OutputStrategy } from './commands/merge.js';
import { CliError, describeError } from './errors.js';
import { Output } from './output.js';

async function dispatch(command: string | undefined, args: string[]): Promise<number> {
  switch (command) {
    case 'diff-driver':
      // Git's arguments are positional and may look like options (a path starting with `-`): no option parsing.
      await (await import('./commands/diff-driver.js')).runDiffDriver(args);
      return 0;
    case 'textconv':
      if (args.length !== 1) throw new CliError('textconv takes one file');
      await (await import('./commands/textconv.js')).runTextconv(args[0]!);
      return 0;
    case 'merge-driver': {
      const { runMergeDriver } = await import('./commands/merge-driver.js');
      const { OUTPUT_STRATEGIES } = await import('./commands/merge.js');
      const { values, positionals } = parseArgs({ args, options: { outputs: { type: 'string' } }, allowPositionals: true });
      const outputs = values.outputs as OutputStrategy | undefined;
      if (outputs !== undefined && !OUTPUT_STRATEGIES.includes(outputs))
        throw new CliError(`--outputs must be one of ${OUTPUT_STRATEGIES.join(', ')}, got ${outputs}`);
      const [base, current, other, markerSize, path] = positionals;
      if (!base || !current || !other) throw new CliError('merge-driver takes %O %A %B [%L [%P]]');
      // Clean merges stay silent inside `git merge`; conflicts and errors still print.
      return runMergeDriver({ base, current, other, markerSize: markerSize ? Number(markerSize) : undefined, path, outputs }, new Output(true));
    }
    case 'filter-process':
      return (await import('./commands/filter-process.js')).runFilterProcess();
    case 'clean':
      return (await import('./commands/filter-process.js')).runCleanFilter(args[0] ?? '');
    default:
      throw new CliError(`unknown git driver command ${JSON.stringify(command)} (expected diff-driver, textconv, merge-driver, filter-process or clean)`);
  }
}

const [command, ...args] = process.argv.slice(2);
dispatch(command, args).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    new Output().error(describeError(e).message);
    process.exitCode = 2;
  },
);
