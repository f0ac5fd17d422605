import { basename, extname } from 'node:path';
import type { Notebook } from '@nbpipe/nbformat';
import type { KernelFactory } from '@nbpipe/kernel';
import type { Value } from '../env.js';
import { PipelineError } from '../errors.js';
import type { SourceKind } from '../sources.js';
import type { ProductSpec, TaskSpec } from '../spec.js';

/** A product with absolute paths, as executors and injected parameters see it. */
export type ResolvedProduct = string | Record<string, string>;

/** Everything an executor needs to run one task. */
export interface TaskJob {
  name: string;
  spec: TaskSpec;
  /** Project root: the working directory of the task. */
  root: string;
  /** Absolute path of the source. */
  source: string;
  product: ResolvedProduct;
  /** Upstream task name → its product; a wildcard declaration maps to a nested mapping of the tasks it matched. */
  upstream: Record<string, ResolvedProduct | Record<string, ResolvedProduct>>;
  params: Record<string, Value>;
  /** File collecting the task's output (stdout, stderr, tracebacks). */
  log: string;
  /** Aborted when the run is interrupted: the executor stops its processes and rejects. */
  signal: AbortSignal;
  /** Told the pid of each process the task starts (the run records it in the state while the task runs). */
  started?(pid: number): void;
  /** The run's executor for notebook tasks that name none (`pipeline.executor`; see executorName). */
  notebookExecutor?: string;
  /** The run's cap of each stream output in an executed notebook (`pipeline.maxOutputChars`; see maxOutputChars). */
  maxOutputChars?: number;
  /** Where the run's kernels and python calls come from (forked from a warm parent); without it, each is launched. */
  kernels?: KernelFactory;
  /** A path as messages should show it. */
  label(path: string): string;
  /** Tell the user something about how the task runs (shown once per message and run). */
  notice?(message: string): void;
}

/** How a task of some kind is run. Rejects with TaskFailure when the task fails. */
export interface Executor {
  run(job: TaskJob): Promise<void>;
}

/** A task that ran and failed: one line for the summary, and details (output tail, traceback) for the log. */
export class TaskFailure extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

interface ExecutorEntry {
  kinds: readonly SourceKind[];
  load: () => Promise<Executor>;
}

// Keyed by the name a task's `executor:` uses. Loaded on first use so a command pays only for the executors it runs.
const EXECUTORS = new Map<string, ExecutorEntry>([
  ['shell', { kinds: ['shell'], load: async () => (await import('./shell.js')).shellExecutor }],
  ['python', { kinds: ['notebook'], load: async () => (await import('./python.js')).pythonExecutor }],
  ['jupyter', { kinds: ['notebook'], load: async () => (await import('./jupyter.js')).jupyterExecutor }],
  ['auto', { kinds: ['notebook'], load: async () => (await import('./jupyter.js')).autoExecutor }],
  ['callable', { kinds: ['callable'], load: async () => (await import('./callable.js')).callableExecutor }],
]);
/** Ploomber's notebook engines: papermill runs a kernel, ploomber-engine runs in one python process like our embedded executor. */
const ALIASES = new Map([
  ['papermill', 'auto'],
  ['ploomber-engine', 'python'],
]);
const DEFAULTS = new Map<SourceKind, string>([
  ['shell', 'shell'],
  ['notebook', 'auto'],
  ['callable', 'callable'],
]);

/** Add an executor (or replace one) under `name`, for sources of the given kinds. */
export function registerExecutor(name: string, kinds: readonly SourceKind[], load: () => Promise<Executor>): void {
  EXECUTORS.set(name, { kinds, load });
}

/** The executor name a task runs with: its own `executor:`, else for a notebook the run's default (`pipeline.executor`), else the built-in one. */
export function executorName(spec: TaskSpec, notebookExecutor?: string): string {
  if (spec.executor) return ALIASES.get(spec.executor) ?? spec.executor;
  return (spec.kind === 'notebook' && notebookExecutor) || DEFAULTS.get(spec.kind)!;
}

export async function loadExecutor(name: string): Promise<Executor> {
  const entry = EXECUTORS.get(name);
  if (!entry) throw new Error(`no executor named ${name}`);
  return entry.load();
}

/** Writes an executed notebook in one format (by extension of the `nb` product); `options` are the task's `nbconvert_export_kwargs`. */
export type NotebookWriter = (nb: Notebook, path: string, options?: Record<string, Value>) => Promise<void>;

/**
 * nbconvert_export_kwargs our HTML report honours: each turns an option on when its value is `when`.
 * `sanitize_html: false` is nbconvert's way to keep a notebook's HTML as it is: our trusted report (README "Security").
 */
export const HTML_EXPORT_OPTIONS: Record<string, { option: 'excludeInput' | 'excludePrompts' | 'trusted'; when: boolean }> = {
  exclude_input: { option: 'excludeInput', when: true },
  exclude_input_prompt: { option: 'excludePrompts', when: true },
  exclude_output_prompt: { option: 'excludePrompts', when: true },
  sanitize_html: { option: 'trusted', when: false },
};

/** A CI build of a pull request (GitHub Actions), whose author controls the notebook: never a trusted report. */
const isPullRequestBuild = () => (process.env.GITHUB_EVENT_NAME ?? '').startsWith('pull_request');

const NOTEBOOK_FORMATS = new Map<string, NotebookWriter>([
  [
    '.ipynb',
    async (nb, path) => {
      const [{ serialize }, { writeFileAtomic }] = await Promise.all([import('@nbpipe/nbformat'), import('@nbpipe/git')]);
      await writeFileAtomic(path, serialize(nb));
    },
  ],
  [
    '.html',
    async (nb, path, options = {}) => {
      const [{ renderNotebookHtml }, { writeFileAtomic }] = await Promise.all([import('../report/html.js'), import('@nbpipe/git')]);
      const report: Record<string, boolean | string> = {};
      for (const [key, value] of Object.entries(options)) if (HTML_EXPORT_OPTIONS[key]?.when === value) report[HTML_EXPORT_OPTIONS[key].option] = true;
      if (report.trusted && isPullRequestBuild()) {
        delete report.trusted;
        report.notice = 'sanitize_html: false is ignored in a pull request build: this report runs no script.';
      }
      await writeFileAtomic(path, renderNotebookHtml(nb, { title: basename(path, extname(path)), ...report }));
    },
  ],
]);

export function registerNotebookFormat(extension: string, write: NotebookWriter): void {
  NOTEBOOK_FORMATS.set(extension.toLowerCase(), write);
}

export function notebookWriter(path: string): NotebookWriter | undefined {
  return NOTEBOOK_FORMATS.get(extname(path).toLowerCase());
}

/** The product a notebook task writes its executed notebook to: the single product, or the `nb` key. */
export function notebookProduct<T extends ProductSpec | ResolvedProduct>(product: T): string | undefined {
  return typeof product === 'string' ? product : product.nb;
}

/** Check at load time that a task's executor exists, fits its source, and can write its `nb` product. */
export function checkExecutor(spec: TaskSpec, file: string): void {
  const name = executorName(spec);
  const entry = EXECUTORS.get(name);
  const where = `task ${spec.name}`;
  if (!entry) throw new PipelineError(`executor "${spec.executor}" is not available (available: ${[...EXECUTORS.keys(), ...ALIASES.keys()].join(', ')})`, file, spec.line, where);
  if (!entry.kinds.includes(spec.kind)) throw new PipelineError(`executor "${name}" cannot run ${spec.source}`, file, spec.line, where);
  if (spec.kind === 'notebook') {
    const nb = notebookProduct(spec.product);
    if (nb !== undefined && !notebookWriter(nb))
      throw new PipelineError(`cannot write the executed notebook as ${extname(nb) || nb} (formats: ${[...NOTEBOOK_FORMATS.keys()].join(', ')})`, file, spec.line, `${where}: product`);
  }
}
