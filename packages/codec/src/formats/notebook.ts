import {
  cloneJson,
  newCellId,
  parse,
  serialize,
  type Cell,
  type JsonObject,
  type JsonValue,
  type Notebook,
} from '@nbpipe/nbformat';
import { JUPYTEXT_CELL_METADATA } from './cellMetadata.js';
import { BOOLEAN_FORMAT_OPTIONS, FORMAT_OPTIONS, makeContext, customList, type FormatOptions } from './context.js';
import { FormatError } from './errors.js';
import {
  filterCellMetadata,
  filterNotebookMetadata,
  metadataFilterToString,
  parseMetadataFilter,
  DEFAULT_NOTEBOOK_METADATA,
  type FilterSetting,
} from './filters.js';
import { encodingAndExecutableLines, readHeader, writeHeader, type HeaderSyntax } from './header.js';
import { JUPYTER_LANGUAGES, normalizeLanguage, scriptLanguage, usualLanguageName } from './languages.js';
import { isMagic } from './magics.js';
import { pep8LinesBetweenCells } from './pep8.js';
import { createCellReader } from './reader.js';
import {
  formatToString,
  formatVersion,
  isMarkdownExtension,
  parseFormat,
  resolveFormat,
  type FormatName,
  type FormatSpec,
} from './spec.js';
import { StringParser } from './strings.js';
import { escapeRegExp, toLines } from './text.js';
import { createCellWriter } from './writer.js';

export interface NotebookToTextOptions {
  /**
   * Write `jupytext.text_representation` (extension, format name and version) into the header.
   * Default true; jupytext's own tests compare without it. No tool version is ever written.
   */
  textRepresentation?: boolean;
  /** jupytext format options (`notebook_metadata_filter`, `cell_metadata_filter`, `comment_magics`, …); they win over the notebook's own. */
  formatOptions?: Record<string, unknown>;
}

export interface TextToNotebookOptions {
  /** Format options; they win over the options stored in the file's header. */
  formatOptions?: Record<string, unknown>;
  /**
   * Record the format read in `jupytext.text_representation` (extension, format name), as jupytext
   * does, so that writing the notebook back to the same extension keeps the format. Default true.
   * `.ipynb` writers drop it (see `notebookForIpynb`).
   */
  textRepresentation?: boolean;
}

const asSpec = (format: FormatSpec | string): FormatSpec => (typeof format === 'string' ? parseFormat(format) : format);

function jupytextOf(metadata: JsonObject): JsonObject | undefined {
  const j = metadata.jupytext;
  return j && typeof j === 'object' && !Array.isArray(j) ? (j as JsonObject) : undefined;
}

/** Check format options: known keys, booleans where booleans are expected. */
export function validateFormatOptions(options: Record<string, unknown> | undefined): FormatOptions {
  const out: FormatOptions = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (!FORMAT_OPTIONS.includes(key))
      throw new FormatError(`unknown format option '${key}' (known: ${FORMAT_OPTIONS.join(', ')})`);
    const isBoolean = (BOOLEAN_FORMAT_OPTIONS as readonly string[]).includes(key);
    const filter = key.endsWith('_filter');
    if (isBoolean ? typeof value !== 'boolean' : typeof value !== 'string' && !(filter && typeof value === 'boolean'))
      throw new FormatError(`format option '${key}' must be ${isBoolean ? 'true or false' : 'a string'}`);
    out[key] = value as JsonValue;
  }
  return out;
}

/** A format option given as text (`--opt key=value`): booleans accept yes/no, true/false, 1/0, … */
export function parseFormatOptionValue(key: string, text: string): string | boolean {
  if (!FORMAT_OPTIONS.includes(key))
    throw new FormatError(`unknown format option '${key}' (known: ${FORMAT_OPTIONS.join(', ')})`);
  if (!(BOOLEAN_FORMAT_OPTIONS as readonly string[]).includes(key)) return text;
  const lower = text.toLowerCase();
  if (['yes', 'true', 't', 'y', '1', 'on'].includes(lower)) return true;
  if (['no', 'false', 'f', 'n', '0', 'off'].includes(lower)) return false;
  throw new FormatError(`format option '${key}' must be true or false, not '${text}'`);
}

/**
 * The notebook's main language for a text extension: `jupytext.main_language`, else the kernel's
 * language, else the extension's. With `dropRedundant`, a `main_language` equal to that default is removed.
 */
function defaultLanguage(metadata: JsonObject, extension: string, dropRedundant = false): string | undefined {
  const fromExtension = scriptLanguage(extension)?.language;
  const jupytext = jupytextOf(metadata);
  const main = typeof jupytext?.main_language === 'string' ? jupytext.main_language : undefined;
  const kernelspec = metadata.kernelspec as JsonObject | undefined;
  const kernelLanguage =
    typeof kernelspec?.language === 'string' && kernelspec.language ? kernelspec.language : undefined;
  const fallback = kernelLanguage ?? fromExtension;
  const language = main || fallback;
  if (main !== undefined && main === fallback && dropRedundant) delete jupytext!.main_language;
  return language === undefined ? undefined : normalizeLanguage(language);
}

/** The format name recorded in the metadata for an extension (`text_representation`, then `formats`). */
function recordedFormatName(metadata: JsonObject, extension: string): FormatName | undefined {
  const jupytext = jupytextOf(metadata);
  const repr = jupytext?.text_representation as JsonObject | undefined;
  if (
    repr &&
    typeof repr.extension === 'string' &&
    repr.extension.endsWith(extension) &&
    typeof repr.format_name === 'string'
  )
    return knownFormatName(repr.format_name);
  if (typeof jupytext?.formats === 'string') {
    for (const entry of jupytext.formats.split(',')) {
      const spec = tryParseFormat(entry);
      if (spec?.extension === extension && spec.formatName) return spec.formatName;
    }
  }
  return undefined;
}

function knownFormatName(name: string): FormatName {
  const spec = tryParseFormat(`py:${name}`) ?? tryParseFormat(`md:${name}`);
  if (!spec?.formatName) throw new FormatError(`the file is in jupytext's '${name}' format, which is not supported`);
  return spec.formatName;
}

function tryParseFormat(name: string): FormatSpec | undefined {
  try {
    return parseFormat(name);
  } catch {
    return undefined;
  }
}

/** Update the `formats` entry that has the same path as `spec` with its format name. */
function updateFormatsMetadata(metadata: JsonObject, spec: FormatSpec): void {
  const jupytext = jupytextOf(metadata);
  if (typeof jupytext?.formats !== 'string') return;
  const entries = jupytext.formats.split(',');
  for (let k = 0; k < entries.length; k++) {
    const entry = tryParseFormat(entries[k]!);
    if (
      entry &&
      entry.extension === spec.extension &&
      (entry.suffix ?? '') === (spec.suffix ?? '') &&
      (entry.prefix ?? '') === (spec.prefix ?? '')
    ) {
      entries[k] = formatToString({ ...entry, formatName: spec.formatName });
      break;
    }
  }
  jupytext.formats = entries.join(',');
}

function syntaxFor(extension: string, formatName: FormatName): HeaderSyntax {
  const script = formatName === 'markdown' ? undefined : scriptLanguage(extension);
  return { prefix: script?.comment ?? '', suffix: script?.commentSuffix ?? '', extension };
}

const hasNonAscii = (s: string) => /[^\x00-\x7f]/.test(s);

/** The text after a cell, while cells are written from the last: the lines so far, stored reversed. */
class FollowingLines {
  private readonly reversed: string[] = [];
  get length(): number {
    return this.reversed.length;
  }
  at(index: number): string | undefined {
    return this.reversed[this.reversed.length - 1 - index];
  }
  prepend(lines: readonly string[]): void {
    for (let k = lines.length - 1; k >= 0; k--) this.reversed.push(lines[k]!);
  }
  toArray(): string[] {
    return this.reversed.slice().reverse();
  }
}

/** The notebook as jupytext would write it to a `.ipynb`: without `jupytext.text_representation`. */
export function notebookForIpynb(nb: Notebook): Notebook {
  const jupytext = jupytextOf(nb.metadata);
  if (!jupytext || !('text_representation' in jupytext)) return nb;
  const rest: JsonObject = { ...jupytext };
  delete rest.text_representation;
  const metadata: JsonObject = { ...nb.metadata };
  if (Object.keys(rest).length) metadata.jupytext = rest;
  else delete metadata.jupytext;
  return { ...nb, metadata };
}

/**
 * Fill `formatOptions` with the options stored in the notebook's `jupytext` metadata that it does not set, then record
 * them all there (editing both in place).
 */
function mergeStoredFormatOptions(metadata: JsonObject, formatOptions: FormatOptions): void {
  const stored = jupytextOf(metadata);
  for (const key of FORMAT_OPTIONS)
    if (stored && key in stored && !(key in formatOptions)) formatOptions[key] = stored[key]!;
  if (Object.keys(formatOptions).length) {
    const jupytext = (metadata.jupytext ??= {}) as JsonObject;
    for (const [key, value] of Object.entries(formatOptions)) jupytext[key] = value;
  }
}

/**
 * Write a notebook in a text format (`py:percent`, `auto:light`, `md`, … or a FormatSpec), as jupytext
 * does. `ipynb` gives the notebook's JSON. The result ends with a newline.
 */
export function notebookToText(nb: Notebook, format: FormatSpec | string, options: NotebookToTextOptions = {}): string {
  const spec = resolveFormat(asSpec(format), nb);
  const extension = spec.extension;
  if (extension === '.ipynb') return serialize(notebookForIpynb(nb));
  const metadata = cloneJson(nb.metadata ?? {}) as JsonObject;
  const formatName: FormatName =
    spec.formatName ??
    recordedFormatName(metadata, extension) ??
    (isMarkdownExtension(extension) ? 'markdown' : 'percent');
  updateFormatsMetadata(metadata, { ...spec, formatName });

  const language = defaultLanguage(metadata, extension, true) ?? 'python';
  // Options given now win over those stored in the notebook; all of them are recorded in the notebook.
  const formatOptions = validateFormatOptions(options.formatOptions);
  mergeStoredFormatOptions(metadata, formatOptions);
  const ctx = makeContext(extension, formatName, formatOptions);
  const syntax = syntaxFor(extension, formatName);

  const cells = nb.cells;
  const firstLines = encodingAndExecutableLines(
    metadata,
    formatName === 'markdown' ? undefined : syntax.prefix,
    () => defaultLanguage(metadata, extension) !== 'python' && cells.some((c) => hasNonAscii(c.source)),
  );
  if (options.textRepresentation !== false) {
    const jupytext = (metadata.jupytext ??= {}) as JsonObject;
    jupytext.text_representation = {
      extension,
      format_name: formatName,
      format_version: formatVersion(formatName, extension),
    };
  } else delete jupytextOf(metadata)?.text_representation;
  const jupytext = jupytextOf(metadata);
  if (jupytext && Object.keys(jupytext).length === 0) delete metadata.jupytext;
  const unsupported = new Set<string>();
  const headerMetadata = filterNotebookMetadata(
    metadata,
    formatOptions.notebook_metadata_filter as string | boolean | undefined,
    unsupported,
  );
  const header = writeHeader(cells, headerMetadata, syntax, {
    rootLevelMetadataAsRawCell: formatOptions.root_level_metadata_as_raw_cell !== false,
    hideNotebookMetadata: formatOptions.hide_notebook_metadata === true,
    visibleMetadata: (cell) =>
      filterCellMetadata(cell.metadata ?? {}, formatOptions.cell_metadata_filter as FilterSetting),
  });

  const writers = header.cells.map((cell) => createCellWriter(cell, language, ctx, unsupported));
  const texts = writers.map((w) => w.cellToText());
  const markdown = formatName === 'markdown';
  const splitAtHeading = formatOptions.split_at_heading === true;
  // Assembled from the end, as the blank lines after a cell depend on what follows it.
  const following = new FollowingLines();
  for (let i = writers.length - 1; i >= 0; i--) {
    const writer = writers[i]!;
    const text = writer.removeEndOfCellMarker(texts[i]!, following);
    const blank = writer.linesToNextCell ?? pep8LinesBetweenCells(text, following, extension);
    for (let k = 0; k < blank; k++) text.push('');
    // Two consecutive markdown cells without regions are separated by two blank lines.
    if (markdown && !writer.isCode() && i + 1 < writers.length && !writers[i + 1]!.isCode()) {
      const next = texts[i + 1]!;
      if (
        !texts[i]![0]!.startsWith('<!-- #') &&
        !next[0]!.startsWith('<!-- #') &&
        !(splitAtHeading && next[0]!.startsWith('#'))
      )
        text.push('');
    }
    following.prepend(text);
  }
  const body = following.toArray();
  const headerBlank = header.linesToNextCell ?? pep8LinesBetweenCells(header.lines, body, extension);
  const all = [...firstLines, ...header.lines, ...Array<string>(headerBlank).fill(''), ...body];
  const text = all.join('\n');
  return text.endsWith('\n') ? text : text + '\n';
}

/** The format of a script without header information, from its content (jupytext's guess). */
export function guessScriptFormat(
  lines: readonly string[],
  extension: string,
): { formatName: FormatName; options: FormatOptions } {
  const script = scriptLanguage(extension);
  if (!script) return { formatName: 'markdown', options: {} };
  const c = escapeRegExp(script.comment);
  const doublePercent = new RegExp(`^${c}( %%|%%)$`);
  const doublePercentAndSpace = new RegExp(`^${c}( %%|%%)\\s`);
  const nbconvert = new RegExp(`^${c}( <codecell>| In\\[[0-9 ]*\\]:?)`);
  const vim = new RegExp(`^${c}\\s*\\{\\{\\{`);
  const vscode = new RegExp(`^${c}\\s*region`);
  let percent = 0;
  let magics = 0;
  let vimMarkers = 0;
  let vscodeMarkers = 0;
  let twentyHashes = 0;
  let spinComments = 0;
  const parser = new StringParser(extension === '.r' || extension === '.R' ? 'R' : 'python');
  for (const line of lines) {
    parser.readLine(line);
    if (parser.isQuoted()) continue;
    if (doublePercent.test(line) || doublePercentAndSpace.test(line) || nbconvert.test(line)) percent++;
    if (!line.startsWith(script.comment) && isMagic(line, script.language)) magics++;
    if (vim.test(line)) vimMarkers++;
    if (vscode.test(line)) vscodeMarkers++;
    if (extension === '.py' && /^#( |)#{19,}\s*$/.test(line)) twentyHashes++;
    if ((extension === '.R' || extension === '.r') && /^#'/.test(line)) spinComments++;
  }
  if (percent >= 1) return { formatName: magics ? 'hydrogen' : 'percent', options: {} };
  if (vimMarkers) return { formatName: 'light', options: { cell_markers: '{{{,}}}' } };
  if (vscodeMarkers) return { formatName: 'light', options: { cell_markers: 'region,endregion' } };
  // jupytext would read these as sphinx-gallery or knitr-spin scripts, which we do not support:
  // reading them as light would silently give another notebook than jupytext's.
  if (twentyHashes >= 2 || spinComments)
    throw new FormatError(
      `this looks like jupytext's ${twentyHashes >= 2 ? 'sphinx' : 'spin'} format, which is not supported; name a format to read it anyway (e.g. ${extension.slice(1)}:light)`,
    );
  return { formatName: 'light', options: {} };
}

/**
 * Read a text notebook (`py:percent`, `py` — format from the header or the content —, `md`, `ipynb`, …).
 * An invalid YAML header is a FormatError with its line number.
 */
export function textToNotebook(
  text: string,
  format: FormatSpec | string,
  options: TextToNotebookOptions = {},
): Notebook {
  const spec = asSpec(format);
  const extension = spec.extension;
  if (extension === '.ipynb') return parse(text);
  if (extension === 'auto')
    throw new FormatError("cannot read with format 'auto': name the script extension (py, R, jl, …)");
  const lines = toLines(text);
  const given = validateFormatOptions(options.formatOptions);
  const markdown = isMarkdownExtension(extension);
  const syntax = syntaxFor(extension, markdown ? 'markdown' : 'percent');
  const rootAsRaw = given.root_level_metadata_as_raw_cell !== false;
  const header = readHeader(lines, syntax, rootAsRaw);
  const metadata = header.metadata;

  let formatName = spec.formatName ?? recordedFormatName(metadata, extension);
  const formatOptions: FormatOptions = { ...given };
  if (!formatName) {
    if (markdown) formatName = 'markdown';
    else {
      const guess = guessScriptFormat(lines, extension);
      formatName = guess.formatName;
      for (const [key, value] of Object.entries(guess.options)) formatOptions[key] ??= value;
    }
  }
  const language = defaultLanguage(metadata, extension);
  // Options from the header fill the gaps; all of them are recorded in the notebook.
  mergeStoredFormatOptions(metadata, formatOptions);
  const repr = jupytextOf(metadata)?.text_representation as JsonObject | undefined;
  const version =
    repr && repr.extension === extension && repr.format_name === formatName && typeof repr.format_version === 'string'
      ? repr.format_version
      : undefined;
  const ctx = makeContext(extension, formatName, formatOptions, version);

  const cells: Cell[] = header.headerCell ? [header.headerCell] : [];
  let rest = lines.slice(header.position);
  let json = false;
  while (rest.length) {
    const reader = createCellReader(ctx, language);
    const { cell, next } = reader.read(rest);
    cells.push(cell);
    json ||= reader.cellMetadataJson;
    if (next <= 0)
      throw new Error(`internal error: the ${formatName} reader is blocked at: ${rest.slice(0, 3).join(' / ')}`);
    rest = rest.slice(next);
  }

  setMainAndCellLanguage(metadata, cells, extension, customList(ctx, 'custom_cell_magics'));
  const cellKeys = new Set<string>();
  for (const cell of cells) for (const key of Object.keys(cell.metadata)) cellKeys.add(key);
  updateMetadataFilters(metadata, header.hasJupyterSection, cellKeys);
  if (json) {
    const jupytext = (metadata.jupytext ??= {}) as JsonObject;
    jupytext.cell_metadata_json ??= true;
  }
  if (options.textRepresentation !== false) {
    const jupytext = (metadata.jupytext ??= {}) as JsonObject;
    const repr = jupytext.text_representation;
    const kept = repr && typeof repr === 'object' && !Array.isArray(repr) ? (repr as JsonObject) : {};
    jupytext.text_representation = { ...kept, extension, format_name: formatName };
  }
  const ids = new Set<string>();
  for (const cell of cells) {
    cell.id = newCellId(ids);
    ids.add(cell.id);
  }
  return { nbformat: 4, nbformat_minor: 5, metadata, cells };
}

/**
 * Record the main language when the kernel does not say it, and turn cells in other Jupyter languages
 * back into `%%lang` cell magics.
 */
function setMainAndCellLanguage(
  metadata: JsonObject,
  cells: Cell[],
  extension: string,
  customMagics: readonly string[],
): void {
  let main = defaultLanguage(metadata, extension);
  if (main === undefined) {
    const votes = new Map<string, number>([['python', 0.5]]);
    for (const cell of cells) {
      const lang = cell.metadata.language;
      if (typeof lang === 'string') votes.set(usualLanguageName(lang), (votes.get(usualLanguageName(lang)) ?? 0) + 1);
    }
    let best = -1;
    for (const [lang, count] of votes)
      if (count > best) {
        best = count;
        main = lang;
      }
  }
  const kernelspec = metadata.kernelspec as JsonObject | undefined;
  if (!(kernelspec && typeof kernelspec === 'object' && 'language' in kernelspec) && cells.length)
    ((metadata.jupytext ??= {}) as JsonObject).main_language = main!;
  for (const cell of cells) {
    const md = cell.metadata;
    if (typeof md.language !== 'string') continue;
    const lang = md.language;
    if (lang === main) {
      delete md.language;
      continue;
    }
    if (JUPYTER_LANGUAGES.has(lang) || customMagics.includes(lang)) {
      delete md.language;
      const magic = main !== 'csharp' ? '%%' : '#!';
      let line = magic + lang;
      if ('magic_args' in md) {
        line += ' ' + String(md.magic_args);
        delete md.magic_args;
      }
      cell.source = line + '\n' + cell.source;
    }
  }
}

/**
 * After reading: a file without a `jupyter:` header gets filters that reproduce it (no header, only the
 * cell keys it has); keys found in a header are kept by the notebook filter on the next write.
 */
function updateMetadataFilters(metadata: JsonObject, hasJupyterSection: boolean, cellKeys: Set<string>): void {
  const keys = [...cellKeys].filter((k) => !JUPYTEXT_CELL_METADATA.includes(k));
  if (!hasJupyterSection) {
    const jupytext = (metadata.jupytext ??= {}) as JsonObject;
    jupytext.notebook_metadata_filter = '-all';
    if (!jupytext.cell_metadata_filter)
      jupytext.cell_metadata_filter = metadataFilterToString({ include: keys, exclude: 'all' });
    return;
  }
  const jupytext = jupytextOf(metadata);
  if (jupytext && 'cell_metadata_filter' in jupytext) {
    const filter = parseMetadataFilter(jupytext.cell_metadata_filter as string | boolean);
    if (filter.include !== 'all') for (const key of keys) if (!filter.include.includes(key)) filter.include.push(key);
    if (filter.exclude !== 'all') filter.exclude = filter.exclude.filter((k) => !keys.includes(k));
    jupytext.cell_metadata_filter = metadataFilterToString(filter);
    return;
  }
  const current =
    typeof jupytext?.notebook_metadata_filter === 'string'
      ? jupytext.notebook_metadata_filter.split(',').filter(Boolean)
      : [];
  if (current.includes('all') || current.includes('-all')) return;
  for (const key of Object.keys(metadata)) {
    if (DEFAULT_NOTEBOOK_METADATA.includes(key) || current.includes(key) || current.includes('-' + key)) continue;
    current.push(key);
  }
  if (current.length) ((metadata.jupytext ??= {}) as JsonObject).notebook_metadata_filter = current.join(',');
}
