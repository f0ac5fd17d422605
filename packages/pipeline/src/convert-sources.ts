import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { readFileNamed, writeFileAtomic } from '@nbpipe/git';
import { decodeNotebookBytes } from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';
import type { EditReport, TaskNotebook } from './inject.js';
import type { Pipeline } from './project.js';

/** `ipynb` or a `py:` format (default `py:percent`) from what `--format` says; anything else is an error. */
async function sourceFormat(target: string): Promise<{ format: string; extension: string }> {
  const { parseFormat, formatToString, isFormatError } = await import('@nbpipe/codec');
  let spec;
  try {
    spec = parseFormat(target);
  } catch (e) {
    if (isFormatError(e)) throw new PipelineError(`--format ${target}: ${e.message}`);
    throw e;
  }
  if (spec.extension !== '.ipynb' && spec.extension !== '.py')
    throw new PipelineError(`--format ${target}: task sources are .ipynb notebooks or .py scripts`);
  const format =
    spec.extension === '.ipynb' ? 'ipynb' : formatToString({ ...spec, formatName: spec.formatName ?? 'percent' });
  return { format, extension: spec.extension };
}

/**
 * Convert the sources to `.ipynb` or a `.py` format in place, renaming them in pipeline.yaml when the extension
 * changes. Nothing is written unless every source can be converted and renamed.
 */
export async function convertTaskNotebooks(
  p: Pipeline,
  sources: TaskNotebook[],
  target: string,
  report: EditReport,
): Promise<void> {
  const { format, extension } = await sourceFormat(target);
  const { notebookToText } = await import('@nbpipe/codec');
  const writes: { file: string; text: string; from: string }[] = [];
  const renames = new Map<string, string>();
  for (const source of sources) {
    const to = source.path.slice(0, -extname(source.path).length) + extension;
    const file = resolve(p.root, to);
    const notebook = source.notebook;
    // A .py source is Python: say so, or Jupyter asks which kernel to use for the .ipynb.
    if (format === 'ipynb' && source.format !== 'ipynb')
      notebook.metadata.kernelspec ??= { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' };
    // notebookToText for .ipynb too: a script's jupytext metadata is cut down for the .ipynb as jupytext does.
    const text = notebookToText(notebook, format);
    if (to === source.path && text === source.text) {
      report.info(`${p.label(file)}: already ${format}`);
      continue;
    }
    if (to !== source.path) {
      if (existsSync(file)) throw new PipelineError(`${p.label(file)} already exists; nothing was changed`);
      renames.set(source.path, to);
    }
    writes.push({ file, text, from: source.path });
  }
  const yamlText = renames.size
    ? (await import('./rename-sources.js')).renameSources(
        p,
        decodeNotebookBytes(await readFileNamed(p.file), p.file),
        renames,
      )
    : undefined;
  for (const w of writes) await writeFileAtomic(w.file, w.text);
  if (yamlText !== undefined) await writeFileAtomic(p.file, yamlText);
  for (const w of writes) {
    const old = resolve(p.root, w.from);
    if (old !== w.file) await unlink(old);
    report.info(old === w.file ? `${p.label(w.file)}: now ${format}` : `${p.label(old)} → ${p.label(w.file)}`);
  }
  if (yamlText !== undefined) report.info(`${p.label(p.file)}: ${renames.size} source(s) renamed`);
}
