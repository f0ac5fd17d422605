import { extname, join, relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { writeText } from '../io.js';
import { envOverrides, pipelineOptions, loadCommandPipeline } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  format?: string;
  output?: string;
  env?: string[];
  'entry-point'?: string;
}

const FORMATS = ['html', 'mermaid', 'dot'] as const;
type PlotFormat = (typeof FORMATS)[number];
const FORMAT_OF_EXTENSION: Record<string, PlotFormat> = {
  '.html': 'html',
  '.htm': 'html',
  '.mmd': 'mermaid',
  '.mermaid': 'mermaid',
  '.dot': 'dot',
  '.gv': 'dot',
};

/** The format asked for, else the one the output file's extension names, else HTML. */
function formatFor(format: string | undefined, output: string | undefined): PlotFormat {
  if (format) return format as PlotFormat;
  if (output && output !== '-') {
    const byExtension = FORMAT_OF_EXTENSION[extname(output).toLowerCase()];
    if (!byExtension)
      throw new CliError(`-o ${output}: cannot tell the format from the extension; pass --format ${FORMATS.join('|')}`);
    return byExtension;
  }
  return 'html';
}

export const plotCommand: CommandModule<GlobalArgs, Args> = {
  command: 'plot',
  describe: "Draw the pipeline's DAG with each task's status (up to date, outdated, failed, never run)",
  builder: (y) =>
    pipelineOptions(
      y
        .option('format', {
          alias: 'f',
          choices: FORMATS,
          describe: 'html (self-contained page), mermaid or dot (default: from -o, else html)',
        })
        .option('output', {
          alias: 'o',
          type: 'string',
          describe:
            'file to write, - for stdout (default: .nbpipe/pipeline.html in the project for html, stdout otherwise)',
        }),
    )
      .example('$0 plot', 'write .nbpipe/pipeline.html (git-ignored) and print its path')
      .example('open "$(nbpipe plot)"', 'draw and open it')
      .example('$0 plot -f mermaid >> README.md', 'a diagram GitHub renders')
      .example('$0 plot -o dag.dot && dot -Tsvg dag.dot > dag.svg', 'Graphviz'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, [
      'format',
      'f',
      'output',
      'o',
      'env',
      'entry-point',
      'e',
    ]);
    const format = formatFor(argv.format, argv.output);
    const { evaluatePipeline, projectName, ensureStateDir, STATE_DIR, dagToHtml, dagToDot, dagToMermaid } =
      await import('@nbpipe/pipeline');
    const p = await loadCommandPipeline(ctx, argv['entry-point'], env);
    const tasks = evaluatePipeline(p).map((s) => {
      const failed = s.record?.status === 'failed';
      const status = failed ? 'failed' : !s.record ? 'never run' : s.outdated ? 'outdated' : 'up to date';
      const reasons = s.reasons.filter((r) => r !== 'never run' && !(failed && r === 'last run failed'));
      return {
        name: s.name,
        upstream: p.byName.get(s.name)!.upstream,
        status,
        ...(reasons.length ? { reason: reasons.join(', ') } : {}),
      };
    });
    const text =
      format === 'html'
        ? dagToHtml(tasks, `${await projectName(p)}: pipeline`)
        : format === 'dot'
          ? dagToDot(tasks)
          : dagToMermaid(tasks);
    const output = argv.output ?? (format === 'html' ? undefined : '-');
    if (output !== undefined) {
      await writeText(output, text);
      if (output !== '-') ctx.out.info(`wrote ${output} (${tasks.length} task(s))`);
      return;
    }
    // By default the page goes into the project's git-ignored state folder rather than among its files; its path is
    // the result (`open "$(nbpipe plot)"`).
    const stateDir = join(p.root, STATE_DIR);
    ensureStateDir(stateDir);
    const page = join(stateDir, 'pipeline.html');
    await writeText(page, text);
    ctx.out.print(relative(ctx.cwd, page));
  },
};
