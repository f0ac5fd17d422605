import yargs from 'yargs';
import { commands } from './commands/index.js';
import { describeError } from './errors.js';
import { NBPIPE_VERSION } from './installed.js';
import { Output } from './output.js';

/**
 * Arguments yargs must take as they are, marked with a leading NUL (which no argument can hold): a positional `-`
 * (stdin/stdout), which yargs drops or turns into `true`, and everything after `--`, which yargs would otherwise leave
 * out of the command's positionals (`nbpipe sync -- -notes.ipynb`: a file whose name starts with `-`).
 */
const VERBATIM = '\0';

function protect(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  const operands = end < 0 ? [] : args.slice(end + 1).map((a) => VERBATIM + a);
  return [...options.map((a) => (a === '-' ? VERBATIM + a : a)), ...operands];
}

function restoreVerbatim(argv: Record<string, unknown>): void {
  const restore = (v: unknown) => (typeof v === 'string' && v.startsWith(VERBATIM) ? v.slice(1) : v);
  for (const [key, value] of Object.entries(argv))
    argv[key] = Array.isArray(value) ? value.map(restore) : restore(value);
}

/** Run the CLI; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const verbose = args.includes('--verbose') || args.includes('-v');
  let usageError: string | undefined;
  const parser = yargs(protect(args))
    .middleware(restoreVerbatim)
    .scriptName('nbpipe')
    .usage(
      '$0 <command> [options]\n\nJupyter notebooks as first-class citizens of git: text pairing, diff and merge, output stripping, and incremental pipelines.',
    )
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only results and errors', global: true })
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      describe: 'print more, and stack traces on errors',
      global: true,
    })
    .option('color', {
      type: 'boolean',
      describe: 'colour output (default: on a TTY, unless NO_COLOR is set)',
      global: true,
    })
    .option('config', {
      type: 'string',
      describe: 'configuration file (default: searched from the current folder)',
      global: true,
    })
    .command(commands)
    .demandCommand(1, 'Name a command; see nbpipe --help.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(NBPIPE_VERSION)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
    })
    // When fail() returns, yargs still runs the command's handler after a failed choices or conflicts
    // check (it would write files despite the usage error): this middleware, run after validation, stops it.
    .middleware(() => {
      if (usageError !== undefined) throw new Error(usageError);
    });
  // yargs lays out the running command's help text before every handler, only to show it if the handler
  // fails; our .fail() never shows it, and the layout costs ~50 ms of every command's start-up.
  const usage = (
    parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }
  )
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  try {
    await parser.parseAsync();
  } catch (e) {
    if (usageError !== undefined) {
      process.stderr.write(`nbpipe: ${usageError}\nRun 'nbpipe --help' for usage.\n`);
      return 2;
    }
    const { message, exitCode } = describeError(e);
    new Output(false, verbose).error(message);
    if (verbose && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return exitCode;
  }
  if (usageError !== undefined) {
    process.stderr.write(`nbpipe: ${usageError}\nRun 'nbpipe --help' for usage.\n`);
    return 2;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
