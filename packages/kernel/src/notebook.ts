import {
  cloneJson,
  markdownCell,
  newCellId,
  sourceText,
  type CodeCell,
  type Notebook,
  type Output,
} from '@nbpipe/nbformat';
import { KernelClient, type KernelStartOptions } from './client.js';
import { KernelError } from './errors.js';
import { chooseKernelSpec, type JupyterKernelSpec, type KernelChoice } from './kernelspec.js';
import { OutputRecorder } from './outputs.js';
import { hasTag, injectParameters, type Injection } from './parameters.js';

/** nbclient skips cells with this tag. */
export const SKIP_EXECUTION_TAG = 'skip-execution';
/** A cell with this tag may fail without stopping the run (nbclient, papermill). */
export const RAISES_EXCEPTION_TAG = 'raises-exception';
/** Tag of the cells `markExecutionError` adds. */
export const ERROR_MARK_TAG = 'nbpipe-error';

export interface CellEvent {
  phase: 'start' | 'end';
  cellIndex: number;
  cell: CodeCell;
  /** For `end`: wall time of the cell, and whether it failed. */
  durationMs?: number;
  failed?: boolean;
}

export interface RunNotebookOptions {
  /** Per-cell limit; on expiry the kernel is interrupted and the run stops (default: none). */
  cellTimeoutMs?: number;
  /** After an interrupt, how long the kernel has to finish the cell (default 5 s). */
  interruptGraceMs?: number;
  /** Keep going after failing cells, as nbclient's `allow_errors` (default false: stop at the first). */
  allowErrors?: boolean;
  /** Write nbclient's `metadata.execution` timestamps into each executed cell (default true, as nbclient). */
  recordTiming?: boolean;
  /** Cap of each stream output, in characters (OutputRecorder's `maxStreamChars`). */
  maxStreamChars?: number;
  onCell?: (event: CellEvent) => void;
  /** Each output as it arrives (a stream message as a stream output of just its text). */
  onOutput?: (cellIndex: number, output: Output) => void;
  /** Aborting interrupts the kernel and stops the run with an `aborted` failure. */
  signal?: AbortSignal;
}

export interface ExecuteNotebookOptions extends RunNotebookOptions, KernelChoice, KernelStartOptions {
  /** Values for an `injected-parameters` cell, written in the kernel's language. */
  parameters?: Record<string, unknown>;
  /** Run on this already-started kernel (left running) instead of starting one. */
  kernel?: KernelClient;
  /** Grace period for the kernel to exit after `shutdown_request` (default 5 s). */
  shutdownGraceMs?: number;
}

/** Why a run stopped early. */
export interface CellFailure {
  /**
   * `error`: the code raised; `timeout`: cellTimeoutMs expired; `died`: the kernel process died; `aborted`: the caller
   * aborted; `lost`: some of the cell's outputs never arrived.
   */
  kind: 'error' | 'timeout' | 'died' | 'aborted' | 'lost';
  /** Index of the failing cell in the executed notebook's `cells`. */
  cellIndex: number;
  executionCount: number | null;
  ename: string;
  evalue: string;
  /** As the kernel sent it (ANSI colours included). */
  traceback: string[];
  /** One line for users, e.g. `cell 4 (In [3]) raised ZeroDivisionError: division by zero`. */
  message: string;
}

export interface NotebookRun {
  /** The executed notebook; with a failure, executed up to and including the failing cell. */
  notebook: Notebook;
  /** The first failure that stopped the run (with allowErrors, failures do not stop it and are not reported here). */
  error?: CellFailure;
  /** The kernel that ran it. */
  kernelSpec: JupyterKernelSpec;
  /** Where the parameters cell went, when parameters were given. */
  injection?: Omit<Injection, 'notebook'>;
}

/**
 * Execute a notebook top to bottom on a fresh kernel, as papermill does with nbclient: outputs and
 * execution counts of every code cell are cleared first; the parameters (if any) are injected in
 * the kernel's language; code cells run in order (empty ones and `skip-execution` ones skipped) and
 * their outputs are recorded as nbclient records them; the run stops at the first failing cell
 * unless it is tagged `raises-exception`. Cell-level failures (exception, timeout, kernel death)
 * come back in `error` with the partly executed notebook; only a kernel that cannot be found or
 * started throws (a KernelError). The input notebook is not modified.
 */
export async function executeNotebook(input: Notebook, options: ExecuteNotebookOptions = {}): Promise<NotebookRun> {
  const spec = options.kernel?.spec ?? chooseKernelSpec(input, options);
  let nb = removeExecutionErrorMarks(cloneJson(input));
  let injection: NotebookRun['injection'];
  if (options.parameters) {
    const { notebook, ...where } = injectParameters(nb, options.parameters, { language: spec.language });
    nb = notebook;
    injection = where;
  }
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  const current = nb.metadata.kernelspec;
  if (typeof current?.name !== 'string' || current.name.toLowerCase() !== spec.name)
    nb.metadata.kernelspec = { display_name: spec.displayName, language: spec.language, name: spec.name };

  const kernel = options.kernel ?? (await KernelClient.start(spec, options));
  try {
    const error = await runNotebook(kernel, nb, options);
    return { notebook: nb, kernelSpec: spec, ...(error && { error }), ...(injection && { injection }) };
  } finally {
    if (!options.kernel) await kernel.shutdown({ graceMs: options.shutdownGraceMs });
  }
}

/**
 * Run `nb`'s code cells in place on a started kernel (no clearing, no injection) and set
 * `metadata.language_info` from the kernel; returns the failure that stopped the run, if any.
 */
export async function runNotebook(
  kernel: KernelClient,
  nb: Notebook,
  options: RunNotebookOptions = {},
): Promise<CellFailure | undefined> {
  if (kernel.languageInfo)
    nb.metadata.language_info = cloneJson(kernel.languageInfo) as Notebook['metadata']['language_info'];
  const recorder = new OutputRecorder({
    recordTiming: options.recordTiming ?? true,
    maxStreamChars: options.maxStreamChars,
  });
  let executed = 0;
  for (const [cellIndex, cell] of nb.cells.entries()) {
    if (cell.cell_type !== 'code' || sourceText(cell).trim() === '' || hasTag(cell, SKIP_EXECUTION_TAG)) continue;
    const mayFail = options.allowErrors === true || hasTag(cell, RAISES_EXCEPTION_TAG);
    options.onCell?.({ phase: 'start', cellIndex, cell });
    const started = performance.now();
    let failure: CellFailure | undefined;
    try {
      const result = await kernel.execute(sourceText(cell), {
        area: cell,
        recorder,
        timeoutMs: options.cellTimeoutMs,
        interruptGraceMs: options.interruptGraceMs,
        stopOnError: !mayFail,
        onOutput: options.onOutput && ((output) => options.onOutput!(cellIndex, output)),
        signal: options.signal,
      });
      // nbclient numbers executed cells itself (the kernel's count agrees on a fresh kernel)
      cell.execution_count = ++executed;
      if (result.status === 'error' && !mayFail) {
        const { ename, evalue, traceback } = result.error!;
        failure = {
          kind: 'error',
          cellIndex,
          executionCount: cell.execution_count,
          ename,
          evalue,
          traceback,
          message: '',
        };
        failure.message = `${cellLabel(failure)} raised ${ename}${evalue ? `: ${evalue}` : ''}`;
      }
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      failure = failureFromKernelError(e, cellIndex, cell);
    }
    options.onCell?.({
      phase: 'end',
      cellIndex,
      cell,
      durationMs: performance.now() - started,
      failed: failure !== undefined,
    });
    if (failure) return failure;
  }
  return undefined;
}

function failureFromKernelError(e: KernelError, cellIndex: number, cell: CodeCell): CellFailure {
  const kind = ({ TIMEOUT: 'timeout', DIED: 'died', OUTPUT_LOST: 'lost' } as const)[e.code as string] ?? 'aborted';
  const ename = {
    timeout: 'CellTimeoutError',
    died: 'DeadKernelError',
    aborted: 'ExecutionAborted',
    lost: 'OutputsLost',
  }[kind];
  // an interrupted cell usually shows where it was stuck (KeyboardInterrupt traceback)
  const shown = cell.outputs.find((o) => o.output_type === 'error');
  const failure: CellFailure = {
    kind,
    cellIndex,
    executionCount: cell.execution_count,
    ename,
    evalue: e.message,
    traceback: shown?.output_type === 'error' ? shown.traceback : [],
    message: '',
  };
  failure.message = `${cellLabel(failure)}: ${e.message}`;
  return failure;
}

function cellLabel(f: Pick<CellFailure, 'cellIndex' | 'executionCount'>): string {
  return `cell ${f.cellIndex + 1}${f.executionCount !== null ? ` (In [${f.executionCount}])` : ''}`;
}

/**
 * Make a failure visible to whoever opens the executed notebook (papermill does the same): a
 * markdown cell at the top saying where and why execution stopped, and one right before the failing
 * cell, both tagged `nbpipe-error`. Returns a new notebook; `removeExecutionErrorMarks` undoes it.
 */
export function markExecutionError(nb: Notebook, failure: CellFailure): Notebook {
  const ids = new Set(nb.cells.map((c) => c.id).filter((id): id is string => typeof id === 'string'));
  const mark = (source: string) => {
    const cell = markdownCell(source, { metadata: { tags: [ERROR_MARK_TAG] } });
    if (nb.nbformat_minor >= 5) {
      cell.id = newCellId(ids);
      ids.add(cell.id);
    }
    return cell;
  };
  const what = `${failure.ename}${failure.evalue ? `: ${failure.evalue}` : ''}`;
  const banner = mark(
    `<span style="color:#b22222;font-size:1.4em">Execution failed at <a href="#nbpipe-error-cell">${escapeHtml(cellLabel(failure))}</a>: ${escapeHtml(what)}</span>`,
  );
  const anchor = mark(`<span id="nbpipe-error-cell" style="color:#b22222">Execution stopped in the next cell:</span>`);
  const cells = [...nb.cells];
  cells.splice(failure.cellIndex, 0, anchor);
  cells.unshift(banner);
  return { ...nb, cells };
}

/** The notebook without the cells `markExecutionError` added. */
export function removeExecutionErrorMarks(nb: Notebook): Notebook {
  const cells = nb.cells.filter((cell) => !hasTag(cell, ERROR_MARK_TAG));
  return cells.length === nb.cells.length ? nb : { ...nb, cells };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
