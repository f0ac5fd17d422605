import { readFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import {
  decodeNotebookBytes,
  parseNotebook,
  serializeVersion,
  type Notebook,
  type NotebookVersion,
  type ParsedNotebook,
} from '@nbpipe/nbformat';
import { createContext, type GlobalArgs } from '../context.js';
import { readStdin, writeText } from '../io.js';
import type { Output } from '../output.js';

export const OUTPUT_STRATEGIES = ['clear', 'local', 'remote', 'union'] as const;
export type OutputStrategy = (typeof OUTPUT_STRATEGIES)[number];

interface Args extends GlobalArgs {
  base: string;
  local: string;
  remote: string;
  output?: string;
  outputs: OutputStrategy;
}

export interface MergeInputs {
  base: { file: string; label: string };
  local: { file: string; label: string };
  remote: { file: string; label: string };
  outputs?: OutputStrategy;
  markerSize?: number;
  /** Names after the `<<<<<<<` and `>>>>>>>` markers (default `local` and `remote`). */
  markerLabels?: { local: string; remote: string };
}

async function readBytes(file: string): Promise<Uint8Array> {
  return file === '-' ? readStdin() : readFile(file);
}

const sameVersion = (a: NotebookVersion, b: NotebookVersion) =>
  a.nbformat === b.nbformat && a.nbformat_minor === b.nbformat_minor;

/**
 * The version the merge is written in: the inputs' own, so a merge never rewrites a file into another format. A
 * version changed on one side only is taken like any other change (someone upgraded the notebook); when both sides
 * changed it differently, or there is no base, local's wins, as for conflicting metadata.
 */
export function mergedVersion(
  base: NotebookVersion | undefined,
  local: NotebookVersion,
  remote: NotebookVersion,
): NotebookVersion {
  if (base && sameVersion(base, local)) return remote;
  return local;
}

/**
 * Read the three versions and merge them; `text` is the result as stored, in the inputs' version (see mergedVersion).
 * The base may be `/dev/null` or empty (git passes an empty base when both sides added the file): it then reads as a
 * notebook with no cells. Local and remote must be notebooks; any problem throws before anything is written.
 */
export async function mergeFiles(inputs: MergeInputs): Promise<{ text: string; conflicts: number }> {
  const [baseBytes, localBytes, remoteBytes] = await Promise.all(
    [inputs.base.file, inputs.local.file, inputs.remote.file].map((f) =>
      f === '/dev/null' ? new Uint8Array() : readBytes(f),
    ),
  );
  const read = (bytes: Uint8Array, label: string): ParsedNotebook =>
    parseNotebook(decodeNotebookBytes(bytes, label), { path: label });
  const local = read(localBytes!, inputs.local.label);
  const remote = read(remoteBytes!, inputs.remote.label);
  const base = baseBytes!.length === 0 ? undefined : read(baseBytes!, inputs.base.label);
  const baseNotebook: Notebook = base?.notebook ?? {
    nbformat: 4,
    nbformat_minor: local.notebook.nbformat_minor,
    metadata: {},
    cells: [],
  };
  const { mergeNotebooks } = await import('@nbpipe/merge');
  const result = mergeNotebooks(baseNotebook, local.notebook, remote.notebook, {
    outputs: inputs.outputs ?? 'clear',
    markerSize: inputs.markerSize,
    localLabel: inputs.markerLabels?.local,
    remoteLabel: inputs.markerLabels?.remote,
  });
  const version = mergedVersion(base?.version, local.version, remote.version);
  return { text: serializeVersion(result.notebook, version), conflicts: result.conflicts.length };
}

/** One line for stderr after a merge with conflicts. */
export function conflictSummary(path: string, conflicts: number): string {
  return `${path}: ${conflicts} conflict${conflicts === 1 ? '' : 's'}, marked in the notebook; \`nbpipe conflicts ${path}\` lists them`;
}

/** Report the outcome on stderr and return the exit code: 0 clean, 1 conflicts. */
export function reportMerge(out: Output, path: string, conflicts: number): number {
  if (conflicts === 0) {
    out.info(`${path}: merged cleanly`);
    return 0;
  }
  out.warn(conflictSummary(path, conflicts));
  return 1;
}

export const mergeCommand: CommandModule<GlobalArgs, Args> = {
  command: 'merge <base> <local> <remote>',
  describe:
    'Three-way merge of notebooks cell by cell; exit 0 clean, 1 with conflicts (marked in the notebook), 2 on bad input',
  builder: (y) =>
    y
      .positional('base', {
        type: 'string',
        demandOption: true,
        describe: 'common ancestor (/dev/null or an empty file for none)',
      })
      .positional('local', { type: 'string', demandOption: true, describe: 'our version' })
      .positional('remote', { type: 'string', demandOption: true, describe: 'their version' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the merged notebook here (default: stdout)' })
      .option('outputs', {
        choices: OUTPUT_STRATEGIES,
        default: 'clear' as OutputStrategy,
        describe: "when both sides changed a cell's outputs: clear them, keep local's or remote's, or keep both",
      })
      .example('$0 merge base.ipynb ours.ipynb theirs.ipynb -o merged.ipynb', 'merge into a new file')
      .example('$0 merge base.ipynb ours.ipynb theirs.ipynb --outputs union', "keep both sides' outputs"),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { text, conflicts } = await mergeFiles({
      base: { file: argv.base, label: argv.base },
      local: { file: argv.local, label: argv.local },
      remote: { file: argv.remote, label: argv.remote },
      outputs: argv.outputs,
    });
    const target = argv.output ?? '-';
    await writeText(target, text);
    process.exitCode = reportMerge(ctx.out, target === '-' ? argv.local : target, conflicts);
  },
};
