import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { parse, serialize, type Notebook } from '@nbpipe/nbformat';
import { createContext, type GlobalArgs, type Context } from '../context.js';
import { CliError } from '../errors.js';
import { readText, writeText } from '../io.js';
import { envOverrides, pipelineOptions } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  tasks?: string[];
  inject?: boolean;
  remove?: boolean;
  format?: string;
  env?: string[];
  'entry-point'?: string;
}

const KNOWN = ['tasks', 'inject', 'i', 'remove', 'r', 'format', 'f', 'env', 'entry-point', 'e'];

type Pipeline = import('@nbpipe/pipeline').Pipeline;
type Task = import('@nbpipe/pipeline').Task;

/** A task source as read: the notebook and how to write it back in its own format. */
interface Source {
  /** Relative to the project root, as pipeline.yaml names it. */
  path: string;
  /** The tasks using it (several for a grid). */
  tasks: Task[];
  text: string;
  notebook: Notebook;
  /** `ipynb`, or `py:percent`/`py:light`/… (the format the script is in). */
  format: string;
}

/** The notebook sources of the named tasks (default: every notebook task), each once. */
async function readSources(p: Pipeline, names: string[] | undefined): Promise<Source[]> {
  for (const name of names ?? [])
    if (!p.byName.has(name))
      throw new CliError(
        `no task named "${name}" (tasks: ${p.tasks
          .slice(0, 20)
          .map((t) => t.name)
          .join(', ')})`,
      );
  const tasks = names?.length ? names.map((n) => p.byName.get(n)!) : p.tasks.filter((t) => t.spec.kind === 'notebook');
  for (const t of tasks)
    if (t.spec.kind !== 'notebook')
      throw new CliError(`task ${t.name}: ${t.spec.source} is not a notebook or a .py script`);
  const byPath = new Map<string, Task[]>();
  for (const t of tasks) byPath.set(t.spec.source, [...(byPath.get(t.spec.source) ?? []), t]);
  const { textToNotebook, isFormatError } = await import('@nbpipe/codec');
  return Promise.all(
    [...byPath].map(async ([path, users]) => {
      const file = resolve(p.root, path);
      const text = await readText(file);
      const label = p.label(file);
      if (extname(path).toLowerCase() === '.ipynb')
        return { path, tasks: users, text, notebook: parse(text, { path: label }), format: 'ipynb' };
      try {
        const notebook = textToNotebook(text, 'py');
        const formatName = (
          notebook.metadata.jupytext as { text_representation?: { format_name?: string } } | undefined
        )?.text_representation?.format_name;
        return { path, tasks: users, text, notebook, format: `py:${formatName ?? 'percent'}` };
      } catch (e) {
        if (isFormatError(e)) throw new CliError(`${label}: ${e.message}`);
        throw e;
      }
    }),
  );
}

/**
 * `source.text` with the change that turns `before` into `after` (both rendered by us), so that the
 * lines a different writer formatted differently (a header's jupytext_version, JSON indentation) are
 * left as they are. When the change cannot be placed, the whole rendering is written.
 */
async function applyChange(
  ctx: Context,
  label: string,
  original: string,
  before: string,
  after: string,
): Promise<string> {
  if (original === before) return after;
  const { structuredPatch, applyPatch } = await import('diff');
  const patched = applyPatch(original, structuredPatch(label, label, before, after));
  if (patched !== false) return patched;
  ctx.out.warn(`${label}: rewritten in nbpipe's formatting (the change could not be applied to the file's own lines)`);
  return after;
}

/** The text of a notebook in a format: `ipynb` as Jupyter writes it, else a jupytext script format. */
async function render(nb: Notebook, format: string): Promise<string> {
  if (format === 'ipynb') return serialize(nb);
  const { notebookToText } = await import('@nbpipe/codec');
  return notebookToText(nb, format);
}

/** Add (or refresh) the injected-parameters cell, with the values a run injects, or remove it. */
async function injectOrRemove(ctx: Context, p: Pipeline, sources: Source[], inject: boolean): Promise<void> {
  const { injectParameters, removeInjectedParameters, isKernelError } = await import('@nbpipe/kernel');
  const { resolveProduct, upstreamMapping } = await import('@nbpipe/pipeline');
  const writes: { file: string; text: string; message: string }[] = [];
  for (const source of sources) {
    const file = resolve(p.root, source.path);
    const label = p.label(file);
    const task = source.tasks[0]!;
    let changed: Notebook;
    if (inject) {
      if (source.tasks.length > 1)
        ctx.out.warn(`${label}: used by ${source.tasks.length} tasks; injecting the parameters of ${task.name}`);
      // The values a run injects: `upstream` (when the task has any), `product`, then the params.
      const upstream = upstreamMapping(p, task);
      const values: Record<string, unknown> = {
        ...(Object.keys(upstream).length ? { upstream } : {}),
        product: resolveProduct(p.root, task.spec.product),
        ...task.spec.params,
      };
      const meta = source.notebook.metadata;
      const language =
        source.format === 'ipynb'
          ? String(meta.kernelspec?.language ?? meta.language_info?.name ?? 'python')
          : 'python';
      try {
        const injection = injectParameters(source.notebook, values, { language });
        if (injection.placement === 'top')
          ctx.out.warn(`${label}: no cell tagged "parameters"; the injected cell is the first one`);
        changed = injection.notebook;
      } catch (e) {
        if (isKernelError(e)) throw new CliError(`${label}: ${e.message}`);
        throw e;
      }
    } else changed = removeInjectedParameters(source.notebook);
    const before = await render(source.notebook, source.format);
    const after = await render(changed, source.format);
    if (before === after) {
      ctx.out.info(`${label}: unchanged`);
      continue;
    }
    const text = await applyChange(ctx, label, source.text, before, after);
    writes.push({
      file,
      text,
      message: `${label}: ${inject ? `injected the parameters of ${task.name}` : 'removed the injected parameters'}`,
    });
  }
  for (const w of writes) {
    await writeText(w.file, w.text);
    ctx.out.info(w.message);
  }
}

/**
 * pipeline.yaml with the `source:` entries of the converted sources renamed: each scalar is edited
 * where it stands in the text, so quoting, comments and layout stay as they are.
 */
async function renameSources(p: Pipeline, yamlText: string, renames: Map<string, string>): Promise<string> {
  const { parseDocument, isMap, isScalar, isSeq } = await import('../yaml.js');
  const doc = parseDocument(yamlText);
  const tasks = doc.get('tasks', true);
  const edits: { start: number; end: number; text: string }[] = [];
  const found = new Set<string>();
  if (isSeq(tasks))
    for (const item of tasks.items) {
      const node = isMap(item) ? item.get('source', true) : undefined;
      if (!isScalar(node) || typeof node.value !== 'string' || !node.range) continue;
      const from = [...renames.keys()].find((path) => resolve(p.root, node.value as string) === resolve(p.root, path));
      if (from === undefined) continue;
      const oldExt = extname(from);
      const newExt = extname(renames.get(from)!);
      const [start, end] = node.range;
      const raw = yamlText.slice(start, end);
      const at = raw.lastIndexOf(oldExt);
      const text = raw.slice(0, at) + newExt + raw.slice(at + oldExt.length);
      if (at < 0 || parseDocument(text).toJS() !== (node.value as string).slice(0, -oldExt.length) + newExt)
        throw new CliError(
          `${p.label(p.file)}: cannot rename the source ${JSON.stringify(node.value)} in place; nothing was changed`,
        );
      edits.push({ start, end, text });
      found.add(from);
    }
  for (const path of renames.keys())
    if (!found.has(path))
      throw new CliError(
        `${p.label(p.file)}: no "source: ${path}" entry to rename (placeholders?); nothing was changed`,
      );
  let out = yamlText;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Convert the sources to `.ipynb` or a `.py` format in place, renaming them in pipeline.yaml when the extension changes. */
async function convertSources(ctx: Context, p: Pipeline, sources: Source[], target: string): Promise<void> {
  const { parseFormat, formatToString, isFormatError, notebookToText } = await import('@nbpipe/codec');
  let spec;
  try {
    spec = parseFormat(target);
  } catch (e) {
    if (isFormatError(e)) throw new CliError(`--format ${target}: ${e.message}`);
    throw e;
  }
  if (spec.extension !== '.ipynb' && spec.extension !== '.py')
    throw new CliError(`--format ${target}: task sources are .ipynb notebooks or .py scripts`);
  const format =
    spec.extension === '.ipynb' ? 'ipynb' : formatToString({ ...spec, formatName: spec.formatName ?? 'percent' });
  const writes: { file: string; text: string; from: string }[] = [];
  const renames = new Map<string, string>();
  for (const source of sources) {
    const to = source.path.slice(0, -extname(source.path).length) + spec.extension;
    const file = resolve(p.root, to);
    const notebook = source.notebook;
    // A .py source is Python: say so, or Jupyter asks which kernel to use for the .ipynb.
    if (format === 'ipynb' && source.format !== 'ipynb')
      notebook.metadata.kernelspec ??= { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' };
    // notebookToText, not render(): a script's jupytext metadata is cut down for the .ipynb as jupytext does.
    const text = notebookToText(notebook, format);
    if (to === source.path && text === source.text) {
      ctx.out.info(`${p.label(file)}: already ${format}`);
      continue;
    }
    if (to !== source.path) {
      if (existsSync(file)) throw new CliError(`${p.label(file)} already exists; nothing was changed`);
      renames.set(source.path, to);
    }
    writes.push({ file, text, from: source.path });
  }
  const yamlText = renames.size ? await renameSources(p, await readText(p.file), renames) : undefined;
  for (const w of writes) await writeText(w.file, w.text);
  if (yamlText !== undefined) await writeText(p.file, yamlText);
  for (const w of writes) {
    const old = resolve(p.root, w.from);
    if (old !== w.file) await unlink(old);
    ctx.out.info(old === w.file ? `${p.label(w.file)}: now ${format}` : `${p.label(old)} → ${p.label(w.file)}`);
  }
  if (yamlText !== undefined) ctx.out.info(`${p.label(p.file)}: ${renames.size} source(s) renamed`);
}

export const nbCommand: CommandModule<GlobalArgs, Args> = {
  command: 'nb [tasks..]',
  describe:
    "Work on task sources in Jupyter: inject or remove the run's parameters cell, convert between .ipynb and .py",
  builder: (y) =>
    pipelineOptions(
      y
        .positional('tasks', {
          type: 'string',
          array: true,
          describe: 'tasks whose sources to change (default: every notebook task)',
        })
        .option('inject', {
          alias: 'i',
          type: 'boolean',
          describe: 'add the injected-parameters cell (upstream, product, params) a run would use',
        })
        .option('remove', { alias: 'r', type: 'boolean', describe: 'remove the injected-parameters cell' })
        .option('format', {
          alias: 'f',
          type: 'string',
          describe: 'convert the sources in place: ipynb, py:percent or py:light (pipeline.yaml follows)',
        })
        .conflicts('inject', ['remove', 'format'])
        .conflicts('remove', 'format')
        .check((a) => {
          if (!a.inject && !a.remove && a.format === undefined)
            throw new Error('say what to do: --inject, --remove or --format FORMAT');
          return true;
        }),
    )
      .example('$0 nb --inject clean', 'open tasks/clean.py in Jupyter with the paths of a run')
      .example('$0 nb --remove', 'before committing')
      .example('$0 nb --format ipynb', 'every .py source becomes a notebook; pipeline.yaml is updated'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, KNOWN);
    const { loadPipeline } = await import('@nbpipe/pipeline');
    const p = await loadPipeline({ cwd: ctx.cwd, entryPoint: argv['entry-point'], env, lock: true });
    try {
      for (const w of p.warnings) ctx.out.warn(w);
      const sources = await readSources(p, argv.tasks);
      if (sources.length === 0) ctx.out.info('no notebook tasks');
      else if (argv.format !== undefined) await convertSources(ctx, p, sources, argv.format);
      else await injectOrRemove(ctx, p, sources, Boolean(argv.inject));
    } finally {
      p.release();
    }
  },
};
