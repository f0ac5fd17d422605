import { basename, dirname, extname, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { decodeNotebookBytes, isNotebookError, parse, parseWithoutOutputs, type Notebook } from '@nbpipe/nbformat';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { readBytes, writeText } from '../io.js';

interface Args extends GlobalArgs {
  inputs: string[];
  to?: string;
  from?: string;
  output?: string;
  'text-representation': boolean;
  opt?: string[];
}

type Codec = typeof import('@nbpipe/codec');

/** The one-line message for a bad input file. */
function badInput(path: string, e: unknown, codec: Codec): never {
  if (codec.isFormatError(e)) throw new CliError(`${path}: ${e.message}`, 2);
  throw e;
}

/** `--opt key=value` pairs as format options. */
function formatOptions(pairs: readonly string[], codec: Codec): Record<string, string | boolean> {
  const options: Record<string, string | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--opt ${pair}: expected key=value`, 2);
    const key = pair.slice(0, eq).trim();
    try {
      options[key] = codec.parseFormatOptionValue(key, pair.slice(eq + 1));
    } catch (e) {
      if (codec.isFormatError(e)) throw new CliError(`--opt ${pair}: ${e.message}`, 2);
      throw e;
    }
  }
  return options;
}

/** The format of standard input when --from is not given: JSON is a notebook, a code fence markdown, else a script. */
function sniffFormat(text: string): string {
  if (/^\s*\{/.test(text)) return 'ipynb';
  const repr = /^\W*\s+extension:\s*(\.\w+)\s*$/m.exec(text);
  if (repr) return repr[1]!;
  return /^```/m.test(text) ? 'md' : 'py';
}

/** The path a converted file is written to, beside its input: `nb.ipynb` → `nb.py`, or `nb.pct.py` with a suffix. */
function destinationBeside(input: string, spec: { extension: string; suffix?: string }, inputSuffix: string): string {
  const stem = basename(input, extname(input));
  const base = inputSuffix && stem.endsWith(inputSuffix) ? stem.slice(0, -inputSuffix.length) : stem;
  return join(dirname(input), base + (spec.suffix ?? '') + spec.extension);
}

/** Run `task` on every item, at most `limit` at a time; rejects with the first failure. */
async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>, limit = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export const convertCommand: CommandModule<GlobalArgs, Args> = {
  command: 'convert <inputs..>',
  describe: 'Convert notebooks between .ipynb and jupytext-compatible text formats (percent, light, markdown)',
  builder: (y) =>
    y
      .positional('inputs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'notebooks or text notebooks (- reads stdin)',
      })
      .option('to', {
        type: 'string',
        describe: 'target format: ipynb, py (= py:percent), py:light, md, R:percent, auto:percent, …',
      })
      .option('from', { type: 'string', describe: 'input format (default: from the extension and the content)' })
      .option('output', {
        alias: 'o',
        type: 'string',
        describe: 'output file (- for stdout); only with a single input',
      })
      .option('text-representation', {
        type: 'boolean',
        default: true,
        describe: 'write jupytext.text_representation (extension, format) into the text header',
      })
      .option('opt', {
        type: 'string',
        array: true,
        describe:
          'format option key=value (notebook_metadata_filter, cell_metadata_filter, comment_magics, …); repeatable',
      })
      .example('$0 convert analysis.ipynb --to py', 'write analysis.py in the percent format')
      .example('$0 convert notebooks/*.ipynb --to auto:percent', "one script per notebook, in each kernel's language")
      .example('$0 convert analysis.py --to ipynb', 'a notebook from a text file')
      .example('cat nb.ipynb | $0 convert - --to md -o -', 'convert a stream'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const codec = await import('@nbpipe/codec');
    const { inputs, output } = argv;
    if (output !== undefined && inputs.length > 1) throw new CliError('-o/--output takes a single input', 2);
    const target = argv.to ?? (output && output !== '-' ? extname(output).slice(1) : undefined);
    if (!target) throw new CliError('name the target format with --to (e.g. --to py:percent)', 2);
    let toSpec;
    let fromSpec;
    try {
      toSpec = codec.parseFormat(target);
      fromSpec = argv.from === undefined ? undefined : codec.parseFormat(argv.from);
    } catch (e) {
      badInput(argv.from !== undefined && !argv.to ? '--from' : '--to', e, codec);
    }
    const options = formatOptions(argv.opt ?? [], codec);
    if (inputs.filter((i) => i === '-').length > 1) throw new CliError('standard input (-) can be read only once', 2);

    // Read and convert everything first: on bad input nothing is written.
    const results: { label: string; path: string; text: string }[] = [];
    // Files are read concurrently; a failure is reported for the first failing input, in order.
    const reads = await Promise.allSettled(inputs.map((input) => readBytes(input)));
    for (const [k, input] of inputs.entries()) {
      const label = input === '-' ? '<stdin>' : input;
      const read = reads[k]!;
      if (read.status === 'rejected') throw read.reason;
      let notebook: Notebook;
      let source = fromSpec;
      if (source?.extension === '.ipynb' || (!source && input !== '-' && extname(input) === '.ipynb')) {
        // Text formats hold no outputs: to one, the notebook's outputs are not even parsed (most of the time otherwise).
        notebook =
          toSpec.extension === '.ipynb'
            ? parse(decodeNotebookBytes(read.value, label), { path: label })
            : parseWithoutOutputs(read.value, { path: label });
      } else {
        const text = decodeNotebookBytes(read.value, label);
        try {
          source ??= codec.parseFormat(input === '-' ? sniffFormat(text) : extname(input).slice(1) || 'py');
          notebook =
            source.extension === '.ipynb'
              ? codec.textToNotebook(text, source)
              : codec.textToNotebook(text, source, { formatOptions: options });
        } catch (e) {
          if (isNotebookError(e)) throw new CliError(`${label}: ${e.problem}`, 2);
          badInput(label, e, codec);
        }
      }
      let converted: string;
      let spec;
      try {
        spec = codec.resolveFormat(toSpec, notebook);
        const textOptions = {
          textRepresentation: argv['text-representation'],
          formatOptions: spec.extension === '.ipynb' ? undefined : options,
        };
        converted = codec.notebookToText(notebook, spec, textOptions);
      } catch (e) {
        badInput(label, e, codec);
      }
      const path = output ?? (input === '-' ? '-' : destinationBeside(input, spec, source?.suffix ?? ''));
      const clash = results.find((r) => r.path === path && path !== '-');
      if (clash) throw new CliError(`${clash.label} and ${label} would both be written to ${path}`, 2);
      results.push({ label, path, text: converted });
    }
    // Atomic writes end with an fsync each: overlap them rather than wait for each in turn.
    await inParallel(results, async ({ label, path, text }) => {
      await writeText(path, text);
      ctx.out.info(`${label} → ${path === '-' ? '<stdout>' : path}`);
    });
  },
};
