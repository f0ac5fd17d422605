import { JsonFloat, pythonFloatRepr, type Cell, type JsonObject, type JsonValue } from '@nbpipe/nbformat';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { FormatError } from './errors.js';
import { pep8LinesBetweenCells } from './pep8.js';
import { commentLines, escapeRegExp, isBlank, pyStrip, toLines, uncommentLine } from './text.js';
import { pyyamlDump, yamlNestingProblem } from './yaml.js';
import { rawCell } from '@nbpipe/nbformat';

const HEADER_RE = /^---\s*$/;
const JUPYTER_RE = /^jupyter\s*:\s*$/;
const LEFT_SPACE_RE = /^\s/;

/** The YAML front matter of a text notebook, commented for scripts. */
export interface HeaderSyntax {
  /** Comment token before each header line (`#`, `//`, or empty for markdown). */
  prefix: string;
  suffix: string;
  extension: string;
}

/**
 * Header lines for a notebook: `---`, the lines of a root-level YAML raw cell (taken out of `cells`),
 * `jupyter:` + the (already filtered) metadata, `---`; commented with the script's comment token.
 */
export function writeHeader(
  cells: Cell[],
  metadata: JsonObject,
  syntax: HeaderSyntax,
  options: {
    rootLevelMetadataAsRawCell: boolean;
    hideNotebookMetadata: boolean;
    visibleMetadata: (cell: Cell) => JsonObject;
  },
): { lines: string[]; linesToNextCell: number | undefined; cells: Cell[] } {
  let header: string[] = [];
  let linesToNextCell: number | undefined;
  const first = cells[0];
  if (
    options.rootLevelMetadataAsRawCell &&
    first?.cell_type === 'raw' &&
    rootLevelCellIsExact(first, options.visibleMetadata(first))
  ) {
    header = toLines(first.source).slice(1, -1);
    const n = first.metadata.lines_to_next_cell;
    linesToNextCell = typeof n === 'number' ? n : undefined;
    cells = cells.slice(1);
  }
  if (Object.keys(metadata).length) header.push(...toLines(pyyamlDump({ jupyter: metadata })));
  if (header.length) {
    header = ['---', ...header, '---'];
    if (options.hideNotebookMetadata && syntax.extension === '.md') header = ['<!--', '', ...header, '', '-->'];
  }
  return { lines: commentLines(header, syntax.prefix, syntax.suffix), linesToNextCell, cells };
}

/**
 * Whether a first raw cell is YAML front matter that the header reader gives back exactly: `---`, at
 * least one line that neither closes the header nor starts the `jupyter:` section, `---`; and no
 * metadata that the text would show. (jupytext also takes cells with surrounding whitespace or other
 * metadata, and loses those.)
 */
function rootLevelCellIsExact(cell: Cell, visibleMetadata: JsonObject): boolean {
  const lines = toLines(cell.source);
  if (lines.length < 3 || lines[0] !== '---' || lines[lines.length - 1] !== '---' || cell.source.endsWith('\n'))
    return false;
  const inner = lines.slice(1, -1);
  if (inner.some((line) => HEADER_RE.test(line) || JUPYTER_RE.test(line))) return false;
  return Object.keys(visibleMetadata).length === 0;
}

/** The `#!` and coding lines a script starts with. */
export function encodingAndExecutableLines(
  metadata: JsonObject,
  comment: string | undefined,
  needsCodingLine: () => boolean,
): string[] {
  if (comment === undefined) return [];
  const jupytext = metadata.jupytext as JsonObject | undefined;
  const lines: string[] = [];
  if (jupytext && typeof jupytext.executable === 'string') {
    lines.push('#!' + jupytext.executable);
    delete jupytext.executable;
  }
  if (jupytext && typeof jupytext.encoding === 'string') {
    lines.push(jupytext.encoding);
    delete jupytext.encoding;
  } else if (needsCodingLine()) lines.push(comment + ' -*- coding: utf-8 -*-');
  if (jupytext && Object.keys(jupytext).length === 0) delete metadata.jupytext;
  return lines;
}

export interface ReadHeaderResult {
  metadata: JsonObject;
  /** Whether the header had a `jupyter:` section. */
  hasJupyterSection: boolean;
  /** Root-level YAML other than `jupyter:`, as a raw cell. */
  headerCell?: Cell;
  /** Index of the first line after the header. */
  position: number;
}

/** Read the front matter of a text notebook (see `writeHeader`). Invalid YAML is a FormatError with its line. */
export function readHeader(
  lines: readonly string[],
  syntax: HeaderSyntax,
  rootLevelMetadataAsRawCell: boolean,
): ReadHeaderResult {
  const { prefix, suffix } = syntax;
  const header: string[] = [];
  const jupyter: string[] = [];
  const jupyterLineNumbers: number[] = [];
  const headerLineNumbers: number[] = [];
  let inJupyter = false;
  let inHtmlDiv = false;
  let start = 0;
  let started = false;
  let ended = false;
  let metadata: JsonObject = {};
  let i = -1;
  const encodingRe = prefix
    ? new RegExp(`^[ \\t\\f]*${escapeRegExp(prefix)}.*?coding[:=][ \\t]*([-_.a-zA-Z0-9]+)`)
    : undefined;
  const jupytext = (): JsonObject => (metadata.jupytext ??= {}) as JsonObject;

  for (i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (i === 0 && line.startsWith('#!') && prefix) {
      jupytext().executable = line.slice(2);
      start = i + 1;
      continue;
    }
    if (encodingRe && (i === 0 || (i === 1 && !encodingRe.test(lines[0]!)))) {
      const m = encodingRe.exec(line);
      if (m) {
        if (m[1] !== 'utf-8') throw new FormatError(`encoding ${m[1]} is not supported (only utf-8)`, i + 1);
        jupytext().encoding = line;
        start = i + 1;
        continue;
      }
    }
    if (!line.startsWith(prefix)) break;
    if (!prefix && pyStrip(line).startsWith('<!--')) {
      inHtmlDiv = true;
      continue;
    }
    if (inHtmlDiv) {
      if (ended && line.includes('-->')) break;
      if (!started && !pyStrip(line)) continue;
    }
    line = uncommentLine(line, prefix, suffix);
    if (HEADER_RE.test(line)) {
      if (!started) {
        started = true;
        continue;
      }
      ended = true;
      if (inHtmlDiv) continue;
      break;
    }
    if (!started && pyStrip(line)) break;
    if (JUPYTER_RE.test(line)) inJupyter = true;
    else if (line && !LEFT_SPACE_RE.test(line)) inJupyter = false;
    if (inJupyter) {
      jupyter.push(line);
      jupyterLineNumbers.push(i + 1);
    } else {
      header.push(line);
      headerLineNumbers.push(i + 1);
    }
  }

  if (!ended) return { metadata, hasJupyterSection: false, position: start };

  if (jupyter.length) {
    const loaded = loadYaml(jupyter.join('\n'), jupyterLineNumbers);
    const value = (loaded as JsonObject | null)?.jupyter;
    if (
      value !== null &&
      value !== undefined &&
      (typeof value !== 'object' || Array.isArray(value) || value instanceof JsonFloat)
    )
      throw new FormatError('the jupyter: section of the header is not a mapping', jupyterLineNumbers[0]);
    const extra = metadata;
    metadata = (value as JsonObject | null) ?? {};
    recursiveUpdate(metadata, extra);
  }

  let linesToNextCell = 1;
  if (lines.length > i + 1) {
    if (!isBlank(uncommentLine(lines[i + 1]!, prefix))) linesToNextCell = 0;
    else i++;
  } else linesToNextCell = 0;

  let headerCell: Cell | undefined;
  if (header.length) {
    if (rootLevelMetadataAsRawCell) {
      const expected = pep8LinesBetweenCells(['---'], lines.slice(i + 1), syntax.extension);
      headerCell = rawCell(
        ['---', ...header, '---'].join('\n'),
        linesToNextCell === expected ? {} : { metadata: { lines_to_next_cell: linesToNextCell } },
      );
    } else jupytext().root_level_metadata = loadYaml(header.join('\n'), headerLineNumbers);
  }
  return { metadata, hasJupyterSection: jupyter.length > 0, headerCell, position: i + 1 };
}

function recursiveUpdate(target: JsonObject, update: JsonObject): void {
  for (const [key, value] of Object.entries(update)) {
    const current = target[key];
    if (isPlainObject(current) && isPlainObject(value)) recursiveUpdate(current, value);
    else target[key] = value;
  }
}

const isPlainObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);

/** Parse YAML 1.1 (PyYAML's `safe_load`) into JSON values; `lineNumbers[k]` is the file line of YAML line k. */
export function loadYaml(text: string, lineNumbers: readonly number[]): JsonValue {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, prettyErrors: false });
  const nesting = yamlNestingProblem(doc);
  if (nesting) throw new FormatError(`invalid YAML header: ${nesting}`, lineNumbers[0]);
  const error = doc.errors[0];
  if (error) {
    const yamlLine = text.slice(0, error.pos[0]).split('\n').length;
    const line = lineNumbers[Math.min(yamlLine, lineNumbers.length) - 1];
    throw new FormatError(
      `invalid YAML header: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      line,
    );
  }
  return toJson(doc.contents as Node | null, doc);
}

const YAML_FLOAT =
  /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function toJson(node: Node | null, doc: Document): JsonValue {
  if (node === null) return null;
  if (isAlias(node)) return toJson(node.resolve(doc) as Node | null, doc);
  if (isMap(node)) {
    const out: JsonObject = {};
    for (const pair of node.items) {
      const key = toJson(pair.key as Node | null, doc);
      out[key === null ? 'null' : String(key)] = toJson(pair.value as Node | null, doc);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toJson(item as Node | null, doc));
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return null;
    if (typeof value === 'number') {
      const source = typeof node.source === 'string' ? node.source : String(value);
      if (node.type === 'PLAIN' && YAML_FLOAT.test(source)) {
        const repr = Number.isFinite(value)
          ? pythonFloatRepr(value)
          : value > 0
            ? 'Infinity'
            : value < 0
              ? '-Infinity'
              : 'NaN';
        return String(value) === repr ? value : new JsonFloat(value, repr);
      }
      return Number.isSafeInteger(value) ? value : new JsonFloat(value, source.replace(/_/g, ''));
    }
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'bigint') return new JsonFloat(Number(value), value.toString());
    if (value instanceof Date) return typeof node.source === 'string' ? node.source : value.toISOString();
    return String(value);
  }
  return null;
}
