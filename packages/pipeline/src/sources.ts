import { extname } from 'node:path';
import { gitBlobHash } from '@nbpipe/git';
import {
  findLiteralAssignment,
  parse,
  PythonLiteralError,
  sourceText,
  type Cell,
  type Notebook,
  type PlainValue,
} from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';

/** What a task's source is, which decides how it is read and which executors can run it. */
/** `callable`: a python function (`source: pkg.module.function`), whose source file is the module. */
export type SourceKind = 'shell' | 'notebook' | 'callable';

const KINDS: Record<string, SourceKind> = {
  '.sh': 'shell',
  '.bash': 'shell',
  '.py': 'notebook',
  '.r': 'notebook',
  '.jl': 'notebook',
  '.ipynb': 'notebook',
};

/** The language of a notebook source: its kernelspec's, else its script extension's. */
export function sourceLanguage(path: string, nb: Notebook): string {
  const declared = nb.metadata.kernelspec?.language ?? nb.metadata.language_info?.name;
  if (typeof declared === 'string' && declared) return declared.toLowerCase();
  return { '.r': 'r', '.jl': 'julia' }[extname(path).toLowerCase()] ?? 'python';
}

export function sourceKindOf(path: string): SourceKind | undefined {
  return KINDS[extname(path).toLowerCase()];
}

/** Cells papermill/Ploomber add to a source and that are never part of it. */
const INJECTED_TAGS = ['injected-parameters', 'debugging-settings'];

function tagsOf(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/** What the pipeline needs from a source, cached in the state under the source's blob id. */
export interface SourceAnalysis {
  /** Upstream names the source declares (Ploomber's `upstream` in the parameters cell, or `{{upstream[...]}}` in scripts). */
  upstream?: string[];
  /** Why `upstream` could not be read (only an error when the task does not declare upstream in pipeline.yaml). */
  upstreamProblem?: string;
  /** 1-based line of the declaration or of the problem in the source file. */
  line?: number;
  /** Hash that changes when the source changes as code: the blob id, or for .ipynb its inputs only. */
  contentHash: string;
  /** For a notebook source: whether its text names jupytext formats, so it may be paired (pairs.ts `namesFormats`). */
  namesFormats?: boolean;
}

/**
 * Read a notebook source: `.ipynb` JSON, or a `.py` script in the percent format (`# %%` cells)
 * or the light format, as jupytext reads them (@nbpipe/codec).
 */
export async function readNotebookSource(path: string, text: string): Promise<Notebook> {
  if (extname(path).toLowerCase() === '.ipynb') return parse(text, { path });
  const { textToNotebook } = await import('@nbpipe/codec');
  try {
    // The script's extension: the format recorded in the header, else guessed from the content (percent, light), as jupytext does.
    return textToNotebook(text, extname(path).slice(1));
  } catch (e) {
    throw new PipelineError(`cannot read as a notebook: ${(e as Error).message}`, path);
  }
}

/**
 * The hash of a notebook's inputs: each cell's type, tags and source, without outputs, execution
 * counts, metadata or injected-parameters cells — so re-executing or saving outputs changes nothing.
 */
export function notebookInputsHash(nb: Notebook): string {
  const cells = nb.cells
    .filter((cell) => !tagsOf(cell).some((t) => INJECTED_TAGS.includes(t)))
    .map((cell) => [cell.cell_type, tagsOf(cell), sourceText(cell)]);
  return gitBlobHash(JSON.stringify(cells));
}

/** The first cell tagged `parameters` (papermill's rule), or -1. */
export function parametersCellIndex(nb: Notebook): number {
  return nb.cells.findIndex((cell) => tagsOf(cell).includes('parameters'));
}

/**
 * Read a source for the pipeline: its declared upstream and its content hash. `oid` is the file's
 * blob id. A `paired` source is hashed by its cells whatever its format, so its members hash alike.
 */
export async function analyzeSource(
  kind: SourceKind,
  path: string,
  bytes: Buffer,
  oid: string,
  functionName?: string,
  paired = false,
): Promise<SourceAnalysis> {
  const text = bytes.toString('utf8');
  if (kind === 'shell') return { upstream: shellUpstream(text), contentHash: oid };
  if (kind === 'callable') return callableAnalysis(text, functionName!, oid);
  const nb = await readNotebookSource(path, text);
  const contentHash = paired || extname(path).toLowerCase() === '.ipynb' ? notebookInputsHash(nb) : oid;
  const index = parametersCellIndex(nb);
  if (index < 0)
    return {
      contentHash,
      upstreamProblem:
        'no cell tagged "parameters": add one with `upstream = None` (or a list of task names), or declare `upstream:` in pipeline.yaml',
    };
  const cellSource = sourceText(nb.cells[index]!);
  const cellLine = lineOfText(text, cellSource);
  if (sourceLanguage(path, nb) === 'r') return { contentHash, ...rUpstream(cellSource, cellLine) };
  let assignment;
  try {
    assignment = findLiteralAssignment(cellSource, 'upstream');
  } catch (e) {
    if (!(e instanceof PythonLiteralError)) throw e;
    return {
      contentHash,
      upstreamProblem: `parameters cell: upstream: ${e.message}`,
      line: offsetLine(cellSource, e.offset, cellLine),
    };
  }
  if (!assignment)
    return {
      contentHash,
      upstreamProblem: 'the parameters cell does not assign `upstream` (write `upstream = None` if the task has none)',
      line: cellLine,
    };
  const line = cellLine === undefined ? undefined : cellLine + assignment.line;
  const names = upstreamNames(assignment.value);
  if (typeof names === 'string') return { contentHash, upstreamProblem: `parameters cell: upstream: ${names}`, line };
  return { contentHash, upstream: names, line };
}

function upstreamNames(value: PlainValue): string[] | string {
  if (value === null) return [];
  if (typeof value === 'string') return [value];
  const items = Array.isArray(value) ? value : typeof value === 'object' ? Object.keys(value) : undefined;
  if (!items) return `expected None, a list, tuple, set or dict of task names, got ${JSON.stringify(value)}`;
  if (!items.every((x): x is string => typeof x === 'string')) return 'task names must be strings';
  return [...new Set(items)];
}

/** `upstream <- NULL`, `upstream <- c("a", "b")` or `list(...)` in an R parameters cell (Ploomber's R extractor reads the same). */
function rUpstream(
  cell: string,
  cellLine: number | undefined,
): Pick<SourceAnalysis, 'upstream' | 'upstreamProblem' | 'line'> {
  const m = /^upstream\s*(?:<-|=)\s*(.*)$/m.exec(cell);
  if (!m)
    return {
      upstreamProblem: 'the parameters cell does not assign `upstream` (write `upstream <- NULL` if the task has none)',
      line: cellLine,
    };
  const line = cellLine === undefined ? undefined : offsetLine(cell, m.index, cellLine);
  const value = m[1]!.trim();
  if (value === 'NULL') return { upstream: [], line };
  const call = /^(?:c|list)\(([^)]*)\)$/.exec(value);
  const items = call?.[1]!
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const names = items?.map((x) => /^(['"])(.*)\1$/.exec(x)?.[2]);
  if (!names || names.some((n) => n === undefined))
    return { upstreamProblem: `parameters cell: upstream: expected NULL or c("name", ...), got ${value}`, line };
  return { upstream: [...new Set(names as string[])], line };
}

const SHELL_UPSTREAM = /\{\{\s*upstream\s*(?:\[\s*(['"])(.*?)\1\s*\]|\.([A-Za-z_][\w-]*))/g;

/** Upstream task names a shell script uses through `{{upstream['name']}}` placeholders (Ploomber's rule for scripts). */
function shellUpstream(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(SHELL_UPSTREAM)) names.add(m[2] ?? m[3]!);
  return [...names];
}

const CALLABLE_UPSTREAM = /\bupstream\s*\[\s*(['"])(.*?)\1\s*\]/g;

/** Upstream of a python function: the `upstream['name']` its body uses (Ploomber's rule for callables). */
function callableAnalysis(text: string, functionName: string, oid: string): SourceAnalysis {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^(async\\s+)?def\\s+${functionName}\\s*\\(`).test(l));
  if (start < 0) return { contentHash: oid, upstreamProblem: `no top-level function ${functionName} in the module` };
  let end = start + 1;
  while (end < lines.length && !/^[^\s#)]/.test(lines[end]!)) end++;
  const names = new Set<string>();
  for (const m of lines.slice(start, end).join('\n').matchAll(CALLABLE_UPSTREAM)) names.add(m[2]!);
  return { contentHash: oid, upstream: [...names], line: start + 1 };
}

/** 1-based line where `fragment` starts in `text` (a cell's code inside its .py file), if found. */
function lineOfText(text: string, fragment: string): number | undefined {
  const at = fragment === '' ? -1 : text.indexOf(fragment);
  return at < 0 ? undefined : offsetLine(text, at, 1);
}

function offsetLine(text: string, offset: number, firstLine: number | undefined): number | undefined {
  if (firstLine === undefined) return undefined;
  let line = firstLine;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
