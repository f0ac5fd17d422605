import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import type { Output } from '../output.js';
import { mergeFiles, OUTPUT_STRATEGIES, reportMerge, type OutputStrategy } from './merge.js';

interface Args extends GlobalArgs {
  base: string;
  current: string;
  other: string;
  markerSize?: number;
  path?: string;
  outputs: OutputStrategy;
}

export interface MergeDriverArgs {
  base: string;
  current: string;
  other: string;
  markerSize?: number;
  path?: string;
  outputs?: OutputStrategy;
}

/**
 * The labels of git's own markers, so that a notebook and its paired script, which git merges as text, read the same
 * (README "Finishing a conflicted merge"): `HEAD` for our side, and for theirs the name `git merge` was given, which
 * git passes to its children as `GITHEAD_<commit>=<name>`. Elsewhere (rebase, cherry-pick, stash) git tells a merge
 * driver no name: `theirs`.
 */
export function mergeDriverLabels(env: NodeJS.ProcessEnv = process.env): { local: string; remote: string } {
  const names = Object.entries(env).filter(([key, value]) => /^GITHEAD_[0-9a-f]{40,64}$/.test(key) && value);
  return { local: 'HEAD', remote: names.length === 1 ? names[0]![1]! : 'theirs' };
}

/**
 * Git's merge driver (`merge.nbpipe.driver`, `%O %A %B %L %P`): merge into %A and return 0 (clean) or 1 (conflicts,
 * marked in the notebook). Unreadable input throws before %A is touched (exit 2), and the command `nbpipe install`
 * writes then lets git do its own text merge.
 */
export async function runMergeDriver(args: MergeDriverArgs, out: Output): Promise<number> {
  const path = args.path ?? args.current;
  if (args.markerSize !== undefined && !(Number.isInteger(args.markerSize) && args.markerSize > 0))
    throw new CliError(`merge-driver: the marker size must be a positive integer, got ${args.markerSize}`);
  const { writeFileAtomic } = await import('@nbpipe/git');
  const { text, conflicts } = await mergeFiles({
    base: { file: args.base, label: `${path} (base)` },
    local: { file: args.current, label: `${path} (ours)` },
    remote: { file: args.other, label: `${path} (theirs)` },
    outputs: args.outputs,
    markerSize: args.markerSize,
    markerLabels: mergeDriverLabels(),
  });
  await writeFileAtomic(args.current, text);
  return reportMerge(out, path, conflicts);
}

export const mergeDriverCommand: CommandModule<GlobalArgs, Args> = {
  command: 'merge-driver <base> <current> <other> [marker-size] [path]',
  describe:
    "git's merge driver for notebooks (merge.nbpipe.driver, set by `nbpipe install`): writes the result to <current>",
  builder: (y) =>
    y
      .positional('base', {
        type: 'string',
        demandOption: true,
        describe: '%O: the common ancestor (empty when both sides added the file)',
      })
      .positional('current', {
        type: 'string',
        demandOption: true,
        describe: '%A: our version, replaced by the result',
      })
      .positional('other', { type: 'string', demandOption: true, describe: '%B: their version' })
      .positional('marker-size', { type: 'number', describe: '%L: conflict marker length (default 7)' })
      .positional('path', { type: 'string', describe: '%P: the path in the repository, for messages' })
      .option('outputs', {
        choices: OUTPUT_STRATEGIES,
        default: 'clear' as OutputStrategy,
        describe: "when both sides changed a cell's outputs",
      })
      .example(
        "git config merge.nbpipe.driver 'nbpipe merge-driver %O %A %B %L %P'",
        'what `nbpipe install` sets up (with fallbacks)',
      ),
  handler: async (argv) => {
    process.exitCode = await runMergeDriver(
      {
        base: argv.base,
        current: argv.current,
        other: argv.other,
        markerSize: argv.markerSize,
        path: argv.path,
        outputs: argv.outputs,
      },
      createContext(argv).out,
    );
  },
};
