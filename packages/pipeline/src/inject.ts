import { extname, resolve } from 'node:path';
import { readFileNamed, writeFileAtomic } from '@nbpipe/git';
import { decodeNotebookBytes, parse, serialize, type Notebook } from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';
import { resolveProduct, upstreamMapping, type Pipeline, type Task } from './project.js';

/** A task source as read: the notebook and how to write it back in its own format. */
export interface TaskNotebook {
  /** Relative to the project root, as pipeline.yaml names it. */
  path: string;
  /** The tasks using it (several for a grid). */
  tasks: Task[];
  text: string;
  notebook: Notebook;
  /** `ipynb`, or `py:percent`/`py:light`/… (the format the script is in). */
  format: string;
}

/** Where the messages of `nbpipe nb` go: what was written or left alone, and warnings. */
export interface EditReport {
  info(message: string): void;
  warn(message: string): void;
}

/** The notebook sources of the named tasks (default: every notebook task), each once. */
export async function readTaskNotebooks(p: Pipeline, names: string[] | undefined): Promise<TaskNotebook[]> {
  for (const name of names ?? [])
    if (!p.byName.has(name))
      throw new PipelineError(
        `no task named "${name}" (tasks: ${p.tasks
          .slice(0, 20)
          .map((t) => t.name)
          .join(', ')})`,
      );
  const tasks = names?.length ? names.map((n) => p.byName.get(n)!) : p.tasks.filter((t) => t.spec.kind === 'notebook');
  for (const t of tasks)
    if (t.spec.kind !== 'notebook')
      throw new PipelineError(`task ${t.name}: ${t.spec.source} is not a notebook or a .py script`);
  const byPath = new Map<string, Task[]>();
  for (const t of tasks) byPath.set(t.spec.source, [...(byPath.get(t.spec.source) ?? []), t]);
  const { textToNotebook, isFormatError } = await import('@nbpipe/codec');
  return Promise.all(
    [...byPath].map(async ([path, users]) => {
      const file = resolve(p.root, path);
      const text = decodeNotebookBytes(await readFileNamed(file), file);
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
        if (isFormatError(e)) throw new PipelineError(e.message, label);
        throw e;
      }
    }),
  );
}

/**
 * `original` with the change that turns `before` into `after` (both rendered by us), so that the lines a different
 * writer formatted differently (a header's jupytext_version, JSON indentation) are left as they are. When the change
 * cannot be placed, the whole rendering is written.
 */
async function applyChange(
  report: EditReport,
  label: string,
  original: string,
  before: string,
  after: string,
): Promise<string> {
  if (original === before) return after;
  const { structuredPatch, applyPatch } = await import('diff');
  const patched = applyPatch(original, structuredPatch(label, label, before, after));
  if (patched !== false) return patched;
  report.warn(`${label}: rewritten in nbpipe's formatting (the change could not be applied to the file's own lines)`);
  return after;
}

/** The text of a notebook in a format: `ipynb` as Jupyter writes it, else a jupytext script format. */
async function render(nb: Notebook, format: string): Promise<string> {
  if (format === 'ipynb') return serialize(nb);
  const { notebookToText } = await import('@nbpipe/codec');
  return notebookToText(nb, format);
}

/** The notebook with the injected-parameters cell a run of its first task would add (README, `nbpipe nb`). */
async function withInjectedParameters(p: Pipeline, source: TaskNotebook, report: EditReport): Promise<Notebook> {
  const { injectParameters, isKernelError } = await import('@nbpipe/kernel');
  const label = p.label(resolve(p.root, source.path));
  const task = source.tasks[0]!;
  if (source.tasks.length > 1)
    report.warn(`${label}: used by ${source.tasks.length} tasks; injecting the parameters of ${task.name}`);
  // The values a run injects: `upstream` (when the task has any), `product`, then the params.
  const upstream = upstreamMapping(p, task);
  const values: Record<string, unknown> = {
    ...(Object.keys(upstream).length ? { upstream } : {}),
    product: resolveProduct(p.root, task.spec.product),
    ...task.spec.params,
  };
  const meta = source.notebook.metadata;
  const language =
    source.format === 'ipynb' ? String(meta.kernelspec?.language ?? meta.language_info?.name ?? 'python') : 'python';
  try {
    const injection = injectParameters(source.notebook, values, { language });
    if (injection.placement === 'top')
      report.warn(`${label}: no cell tagged "parameters"; the injected cell is the first one`);
    return injection.notebook;
  } catch (e) {
    if (isKernelError(e)) throw new PipelineError(e.message, label);
    throw e;
  }
}

/**
 * Add (or refresh) the injected-parameters cell, with the values a run injects, or remove it. Each source keeps its
 * own formatting where the cell is not; nothing is written unless every source could be changed.
 */
export async function injectOrRemoveParameters(
  p: Pipeline,
  sources: TaskNotebook[],
  inject: boolean,
  report: EditReport,
): Promise<void> {
  const { removeInjectedParameters } = await import('@nbpipe/kernel');
  const writes: { file: string; text: string; message: string }[] = [];
  for (const source of sources) {
    const file = resolve(p.root, source.path);
    const label = p.label(file);
    const changed = inject
      ? await withInjectedParameters(p, source, report)
      : removeInjectedParameters(source.notebook);
    const before = await render(source.notebook, source.format);
    const after = await render(changed, source.format);
    if (before === after) {
      report.info(`${label}: unchanged`);
      continue;
    }
    const text = await applyChange(report, label, source.text, before, after);
    const done = inject ? `injected the parameters of ${source.tasks[0]!.name}` : 'removed the injected parameters';
    writes.push({ file, text, message: `${label}: ${done}` });
  }
  for (const w of writes) {
    await writeFileAtomic(w.file, w.text);
    report.info(w.message);
  }
}
