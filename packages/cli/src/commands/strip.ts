import { readFileNamedSync } from '@nbpipe/git/read-file';
import type { CommandModule } from 'yargs';
import type { StripOptions } from '@nbpipe/strip/strip';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { readStdin, writeText } from '../io.js';

interface Args extends GlobalArgs {
  notebooks: string[];
  check?: boolean;
  dryRun?: boolean;
  textconv?: boolean;
  keepOutput?: boolean;
  keepCount?: boolean;
  keepId?: boolean;
  extraKeys?: string | string[];
  keepMetadataKeys?: string | string[];
  dropEmptyCells?: boolean;
  dropTaggedCells?: string | string[];
  stripInitCells?: boolean;
  maxSize?: string;
  keepOutputType?: string[];
  dropOutputType?: string[];
}

/** nbstripout takes space-separated lists in one argument ("a b"); accept that and repeated options. */
const words = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : ([] as string[]).concat(value).flatMap((v) => v.split(/\s+/).filter(Boolean));

export const stripCommand: CommandModule<GlobalArgs, Args> = {
  command: 'strip <notebooks..>',
  describe: 'Remove outputs, execution counts and volatile metadata from notebooks (nbstripout-compatible)',
  builder: (y) =>
    y
      .positional('notebooks', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'notebooks (- reads stdin, writes stdout)',
      })
      .option('check', {
        type: 'boolean',
        describe: 'write nothing; list notebooks that would be stripped and exit 1 if any',
      })
      .option('dry-run', { type: 'boolean', describe: 'write nothing; list notebooks that would be stripped' })
      .option('textconv', {
        alias: 't',
        type: 'boolean',
        describe: 'print the stripped notebooks to stdout, leave the files alone (git textconv)',
      })
      .option('keep-output', {
        type: 'boolean',
        describe: 'keep outputs (per-cell keep_output/init_cell metadata still applies)',
      })
      .option('keep-count', { type: 'boolean', describe: 'keep execution counts' })
      .option('keep-id', {
        type: 'boolean',
        describe: 'keep cell ids (default); --no-keep-id renumbers them 0, 1, … as nbstripout does',
      })
      .option('extra-keys', {
        type: 'string',
        describe: 'more keys to remove, space-separated: metadata.<key> or cell.<key>',
      })
      .option('keep-metadata-keys', { type: 'string', describe: 'keys to take off the removal list, space-separated' })
      .option('drop-empty-cells', { type: 'boolean', describe: 'remove cells whose source is only whitespace' })
      .option('drop-tagged-cells', {
        type: 'string',
        describe: 'remove cells carrying any of these tags, space-separated',
      })
      .option('strip-init-cells', { type: 'boolean', describe: 'strip outputs of init_cell cells too' })
      .option('max-size', {
        type: 'string',
        describe: 'keep outputs no larger than SIZE (k, M, G suffixes are decimal)',
      })
      .option('keep-output-type', {
        type: 'string',
        array: true,
        describe: 'output types to keep, e.g. stream:stderr execute_result',
      })
      .option('drop-output-type', {
        type: 'string',
        array: true,
        describe: 'output types to remove even when outputs are kept',
      })
      .conflicts('check', 'dry-run')
      .conflicts('textconv', ['check', 'dry-run'])
      .example('$0 strip analysis.ipynb', 'strip in place (a file that needs nothing is not rewritten)')
      .example('$0 strip --check **/*.ipynb', 'fail in CI if a notebook carries outputs')
      .example('cat a.ipynb | $0 strip -', 'strip a stream (the per-file git clean filter)'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { createStripper, parseSize } = await import('@nbpipe/strip/strip');
    const { config } = await ctx.config();
    let maxSize: number | undefined;
    if (argv.maxSize !== undefined) {
      try {
        maxSize = parseSize(argv.maxSize);
      } catch (e) {
        throw new CliError(`--max-size: ${(e as Error).message}`);
      }
    }
    const flags = {
      keepOutput: argv.keepOutput,
      keepCount: argv.keepCount,
      keepId: argv.keepId,
      extraKeys: words(argv.extraKeys),
      keepMetadataKeys: words(argv.keepMetadataKeys),
      dropEmptyCells: argv.dropEmptyCells,
      dropTaggedCells: words(argv.dropTaggedCells),
      stripInitCells: argv.stripInitCells,
      maxSize,
      keepOutputTypes: argv.keepOutputType,
      dropOutputTypes: argv.dropOutputType,
    };
    // Command-line flags override the `strip:` section of the configuration.
    const options: StripOptions = { ...(config.strip as StripOptions | undefined) };
    for (const [key, value] of Object.entries(flags)) if (value !== undefined) Object.assign(options, { [key]: value });
    const stripper = createStripper(options);
    for (const warning of stripper.warnings) ctx.out.warn(warning);

    // Strip everything before writing anything: on bad input nothing is written.
    const results = [];
    for (const path of argv.notebooks) {
      // Synchronous reads: for hundreds of files a thread-pool round trip each costs more than the read.
      const bytes = path === '-' ? await readStdin() : readFileNamedSync(path);
      const name = path === '-' ? '<stdin>' : path;
      try {
        const result = stripper.strip(bytes, name);
        // Serialize now what will be written, so that a failure happens before any file is touched.
        if (!argv.check && !argv.dryRun && (result.changed || path === '-' || argv.textconv)) void result.text;
        results.push({ path, name, result });
      } catch (e) {
        if ((e as Error).name === 'StripError') throw new CliError((e as Error).message);
        throw e;
      }
    }
    if (argv.textconv) {
      for (const { result } of results) await writeText('-', result.text);
      return;
    }
    if (argv.check || argv.dryRun) {
      const flagged = results.filter(({ result }) => result.changed);
      for (const { name, result } of flagged)
        ctx.out.print(
          `${name}: ${result.hadOutputs ? 'carries outputs' : 'would be stripped (execution counts or metadata)'}`,
        );
      if (argv.check && flagged.length > 0) process.exitCode = 1;
      return;
    }
    // Each write is atomic (fsync, rename); running them together overlaps the fsyncs.
    await Promise.all(
      results.map(async ({ path, result }) => {
        if (path === '-') return writeText('-', result.text);
        if (!result.changed) return;
        await writeText(path, result.text);
        ctx.out.info(`${path}: stripped`);
      }),
    );
  },
};
