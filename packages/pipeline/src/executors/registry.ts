import { extname } from 'node:path';
import { PipelineError } from '../errors.js';
import type { SourceKind } from '../sources.js';
import type { TaskSpec } from '../spec.js';
import type { Executor } from './job.js';
import { NOTEBOOK_FORMATS, notebookProduct, notebookWriter } from './notebook-writers.js';
import { EXECUTOR_ALIASES, executorName } from './executor-name.js';

interface ExecutorEntry {
  kinds: readonly SourceKind[];
  load: () => Promise<Executor>;
}

// Keyed by the name a task's `executor:` uses. Loaded on first use so a command pays only for the executors it runs.
const EXECUTORS: ReadonlyMap<string, ExecutorEntry> = new Map<string, ExecutorEntry>([
  ['shell', { kinds: ['shell'], load: async () => (await import('./shell.js')).shellExecutor }],
  ['python', { kinds: ['notebook'], load: async () => (await import('./python.js')).pythonExecutor }],
  ['jupyter', { kinds: ['notebook'], load: async () => (await import('./jupyter.js')).jupyterExecutor }],
  ['auto', { kinds: ['notebook'], load: async () => (await import('./jupyter.js')).autoExecutor }],
  ['callable', { kinds: ['callable'], load: async () => (await import('./callable.js')).callableExecutor }],
]);
export async function loadExecutor(name: string): Promise<Executor> {
  const entry = EXECUTORS.get(name);
  if (!entry) throw new Error(`no executor named ${name}`);
  return entry.load();
}

/** Check at load time that a task's executor exists, fits its source, and can write its `nb` product. */
export function checkExecutor(spec: TaskSpec, file: string): void {
  const name = executorName(spec);
  const entry = EXECUTORS.get(name);
  const where = `task ${spec.name}`;
  if (!entry)
    throw new PipelineError(
      `executor "${spec.executor}" is not available (available: ${[...EXECUTORS.keys(), ...EXECUTOR_ALIASES.keys()].join(', ')})`,
      file,
      spec.line,
      where,
    );
  if (!entry.kinds.includes(spec.kind))
    throw new PipelineError(`executor "${name}" cannot run ${spec.source}`, file, spec.line, where);
  if (spec.kind === 'notebook') {
    const nb = notebookProduct(spec.product);
    if (nb !== undefined && !notebookWriter(nb))
      throw new PipelineError(
        `cannot write the executed notebook as ${extname(nb) || nb} (formats: ${[...NOTEBOOK_FORMATS.keys()].join(', ')})`,
        file,
        spec.line,
        `${where}: product`,
      );
  }
}
