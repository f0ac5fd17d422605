import type { Cell, JsonObject } from '@nbpipe/nbformat';
import { metadataToText } from './cellMetadata.js';
import {
  commentMagicsEnabled,
  customList,
  hasActiveTag,
  isActive,
  optionBoolean,
  optionString,
  type FormatContext,
} from './context.js';
import { filterCellMetadata, type FilterSetting } from './filters.js';
import { JUPYTER_LANGUAGES, sameLanguage } from './languages.js';
import { commentMagics, escapeCodeStart, needsExplicitCodeMarker } from './magics.js';
import { pep8LinesBetweenCells, type Lines } from './pep8.js';
import { createCellReader } from './reader.js';
import { commentLines, escapeRegExp, isBlank, pyStrip, sourceLines } from './text.js';

// gonb (Go kernel) uses `%%` and `%% -flags` lines inside cells; they must not read as cell markers.
const GO_DOUBLE_PERCENT = /^(%%\s*|%%\s+-.*)$/;
const GO_DOUBLE_PERCENT_COMMENTED = /^(\s*)(?:\/\/ ?)*(%%\s*|%%\s+-.*)$/;

/**
 * The first line `%%lang [args]` of a code cell in a Jupyter language (`#!lang` in C# notebooks) becomes
 * cell metadata: the language and its arguments. Returns them, and removes the line from `source`.
 */
function takeCellLanguage(
  source: string[],
  defaultLanguage: string,
  customMagics: readonly string[],
): { language?: string; magicArgs?: string } {
  const line = source[0];
  // `%%bash` alone (no newline) stays a commented magic: as metadata it would read back as `%%bash\n`.
  if (line === undefined || source.length < 2) return {};
  if (defaultLanguage === 'go' && GO_DOUBLE_PERCENT.test(line)) return {};
  if (defaultLanguage === 'csharp') {
    if (line.startsWith('#!')) {
      const language = pyStrip(line.slice(2));
      if (JUPYTER_LANGUAGES.has(language)) {
        source.shift();
        return { language, magicArgs: '' };
      }
    }
  } else if (line.startsWith('%%')) {
    const magic = line.slice(2);
    const space = magic.indexOf(' ');
    const language = space < 0 ? magic : magic.slice(0, space);
    const magicArgs = space < 0 ? '' : magic.slice(space + 1);
    if (JUPYTER_LANGUAGES.has(language) || customMagics.includes(language)) {
      source.shift();
      return { language, magicArgs };
    }
  }
  return {};
}

/** One cell on its way to text; subclasses render it in their format. */
export abstract class CellWriter {
  cellType: Cell['cell_type'];
  source: string[];
  /** The cell's metadata after the cell filter: what may appear in the text. */
  metadata: JsonObject;
  /** The cell's full metadata (layout keys such as `lines_to_next_cell` live here). */
  unfiltered: JsonObject;
  language: string;
  linesToNextCell: number | undefined;
  linesToEndOfCellMarker: number | undefined;
  protected readonly commentMagics: boolean;
  protected readonly cellMetadataJson: boolean;

  constructor(
    cell: Cell,
    readonly defaultLanguage: string,
    readonly ctx: FormatContext,
    parseCellLanguage: boolean,
    unsupportedKeys?: Set<string>,
  ) {
    this.commentMagics = commentMagicsEnabled(ctx);
    this.cellMetadataJson = optionBoolean(ctx, 'cell_metadata_json', false);
    // A shallow copy: only top-level keys are added or removed below.
    const metadata: JsonObject = { ...(cell.metadata ?? {}) };
    const n = metadata.lines_to_next_cell;
    this.linesToNextCell = typeof n === 'number' ? n : undefined;
    const m = metadata.lines_to_end_of_cell_marker;
    this.linesToEndOfCellMarker = typeof m === 'number' ? m : undefined;
    // A raw cell is an inactive code cell in the text formats that have no raw cells.
    if (cell.cell_type === 'raw' && !('active' in metadata) && !hasActiveTag(metadata)) metadata.active = '';
    this.cellType = cell.cell_type;
    this.source = sourceLines(cell.source);
    this.unfiltered = metadata;
    this.metadata = filterCellMetadata(metadata, ctx.options.cell_metadata_filter as FilterSetting, unsupportedKeys);
    let language: string | undefined;
    if (parseCellLanguage && cell.cell_type === 'code') {
      const found = takeCellLanguage(this.source, defaultLanguage, customList(ctx, 'custom_cell_magics'));
      if (found.magicArgs) this.metadata.magic_args = found.magicArgs;
      if (found.language) this.metadata.language = found.language;
      language = found.language;
    }
    this.language = language || (typeof metadata.language === 'string' ? metadata.language : defaultLanguage);
  }

  isCode(): boolean {
    return (
      this.cellType === 'code' || (this.cellType === 'raw' && 'active' in this.metadata) || hasActiveTag(this.metadata)
    );
  }

  abstract cellToText(): string[];

  /** Drop an end-of-cell marker made redundant by what follows (light). */
  removeEndOfCellMarker(text: string[], _next: Lines): string[] {
    return text;
  }

  /** Whether markdown/raw content is written between triple quotes (`cell_marker` metadata or option). */
  protected tripleQuoteMarkers(): { left: string; right: string } | undefined {
    const own = this.unfiltered.cell_marker;
    let markers = typeof own === 'string' && own ? own : optionString(this.ctx, 'cell_markers');
    if (!markers) return undefined;
    let left: string;
    let right: string;
    const comma = markers.indexOf(',');
    if (comma >= 0) {
      left = markers.slice(0, comma);
      right = markers.slice(comma + 1);
    } else {
      left = markers + '\n';
      if (/^[rR]/.test(markers)) markers = markers.slice(1);
      right = '\n' + markers;
    }
    const quote = right.slice(-3);
    if (quote !== '"""' && quote !== "'''") return undefined;
    if (!(left.slice(0, 3) === quote || (/^[rR]/.test(left) && left.slice(1, 4) === quote))) return undefined;
    return { left, right };
  }

  /** Markdown, raw and inactive code content: triple-quoted, or commented line by line. */
  protected markdownToText(source: readonly string[]): string[] {
    const quotes = this.tripleQuoteMarkers();
    if (quotes) {
      let { left } = quotes;
      if (!/^[rR]/.test(left) && source.join('\n').includes('\\') && this.ctx.formatName === 'percent')
        left = 'r' + left;
      const out = [...source];
      out[0] = left + out[0];
      out[out.length - 1] = out[out.length - 1] + quotes.right;
      return out;
    }
    let lines: readonly string[] = source;
    if (this.ctx.comment && this.escapesMagicsInComments() && isActive(this.ctx.extension, this.metadata))
      lines = commentMagics(
        lines,
        this.language,
        this.commentMagics,
        this.cellType === 'code',
        this.cellType === 'code',
      );
    return commentLines(lines, this.ctx.comment, this.ctx.commentSuffix);
  }

  /** Light escapes magics in commented content (so that they read back); percent does not. */
  protected escapesMagicsInComments(): boolean {
    return false;
  }

  protected isActiveHere(): boolean {
    return isActive(this.ctx.extension, this.metadata, sameLanguage(this.language, this.defaultLanguage));
  }

  /** gonb's `%%` lines become `//gonb:%%` so that they are not cell markers. */
  protected escapeGoDoublePercent(): void {
    if (this.defaultLanguage === 'go' && this.language === 'go')
      this.source = this.source.map((line) => line.replace(GO_DOUBLE_PERCENT_COMMENTED, '$1//gonb:$2'));
  }
}

/** `# %%` cells. */
export class PercentCellWriter extends CellWriter {
  cellToText(): string[] {
    this.escapeGoDoublePercent();
    const active = this.isActiveHere();
    if (this.cellType === 'raw' && this.metadata.active === '') delete this.metadata.active;
    if (!this.isCode()) this.metadata.cell_type = this.cellType;
    const options = doublePercentOptions(this.metadata, this.cellMetadataJson);
    let indent = '';
    if (this.isCode() && active && this.source.length) {
      const first = this.source[0]!;
      if (pyStrip(first)) indent = /^\s*/.exec(first)![0];
    }
    const marker = options === '' || options.startsWith('%') ? '%%' + options : '%% ' + options;
    const lines = commentLines([marker], indent + this.ctx.comment, this.ctx.commentSuffix);
    if (this.isCode() && active) {
      const source = commentMagics(this.source, this.language, this.commentMagics);
      if (source.length === 1 && source[0] === '') return lines;
      return [...lines, ...source];
    }
    return [...lines, ...this.markdownToText(this.source)];
  }
}

/** Hydrogen: percent without commented magics, and `%%lang` cells kept as they are. */
export class HydrogenCellWriter extends PercentCellWriter {}

/** Options of a percent or light marker: `%` depth, title, `[cell type]`, then key=value metadata. */
function doublePercentOptions(metadata: JsonObject, json: boolean): string {
  const parts: string[] = [];
  if ('cell_depth' in metadata) {
    parts.push('%'.repeat(Number(metadata.cell_depth)));
    delete metadata.cell_depth;
  }
  if ('title' in metadata) {
    parts.push(String(metadata.title));
    delete metadata.title;
  }
  if ('cell_type' in metadata) {
    const region = metadata.region_name;
    delete metadata.region_name;
    parts.push(`[${String(region ?? metadata.cell_type)}]`);
    delete metadata.cell_type;
  }
  return metadataToText(parts.join(' '), metadata, json);
}

/** Light: markers only where the cell boundaries or metadata need them. */
export class LightCellWriter extends CellWriter {
  private readonly markerStart: string | undefined;
  private readonly markerEnd: string | undefined;
  /** Markdown cell already rendered as commented content, to be written as an explicit cell. */
  private rendered = false;
  /** Whether the cell was written between start and end markers. */
  private explicit = false;

  constructor(
    cell: Cell,
    defaultLanguage: string,
    ctx: FormatContext,
    unsupportedKeys?: Set<string>,
    private readonly useCellMarkers = true,
  ) {
    super(cell, defaultLanguage, ctx, true, unsupportedKeys);
    const markers = optionString(ctx, 'cell_markers');
    if (markers && markers.includes(',') && !this.tripleQuoteMarkersFromOption()) {
      const comma = markers.indexOf(',');
      this.markerStart = markers.slice(0, comma);
      this.markerEnd = markers.slice(comma + 1);
    }
    if ('endofcell' in this.unfiltered) this.metadata.endofcell = this.unfiltered.endofcell!;
    if (this.cellType !== 'code' && Object.keys(this.metadata).length === 0 && this.tripleQuoteMarkers())
      this.metadata.cell_type = this.cellType;
    // Markdown cells with metadata are written as explicit cells with a `[markdown]` option.
    if (
      (this.cellType === 'markdown' && Object.keys(this.metadata).length) ||
      (this.cellType !== 'code' && this.tripleQuoteMarkers())
    ) {
      if (this.isActiveHere()) {
        this.metadata.cell_type = this.cellType;
        this.source = this.markdownToText(this.source);
        this.cellType = 'code';
        this.rendered = true;
      }
    }
  }

  private tripleQuoteMarkersFromOption(): boolean {
    const markers = optionString(this.ctx, 'cell_markers') ?? '';
    return /"""|'''/.test(markers);
  }

  protected override escapesMagicsInComments(): boolean {
    return true;
  }

  cellToText(): string[] {
    this.escapeGoDoublePercent();
    if (this.isCode()) return this.codeToText();
    return this.markdownToText(this.source);
  }

  private codeToText(): string[] {
    const active = this.rendered || this.isActiveHere();
    let source = [...this.source];
    if (!this.rendered) {
      if (active) {
        source = escapeCodeStart(source, this.ctx.extension, this.language);
        source = commentMagics(source, this.language, this.commentMagics);
      } else source = this.markdownToText(source);
    }
    if (
      (active && !this.rendered && needsExplicitCodeMarker(this.source, this.language, this.commentMagics)) ||
      this.explicitStartMarker(source)
    ) {
      // Recomputed, and always last on the marker line.
      delete this.metadata.endofcell;
      this.metadata.endofcell = this.markerEnd ?? endOfCellMarker(source, this.ctx.comment);
    }
    if (Object.keys(this.metadata).length === 0 || !this.useCellMarkers) return source;
    this.explicit = true;
    const endOfCell = String(this.metadata.endofcell);
    if (endOfCell === '-' || this.markerEnd) delete this.metadata.endofcell;
    const start = [this.ctx.comment, this.markerStart ?? '+'];
    const options = doublePercentOptions(this.metadata, this.cellMetadataJson);
    if (options) start.push(options);
    return [start.join(' '), ...source, `${this.ctx.comment} ${endOfCell}`];
  }

  private explicitStartMarker(source: readonly string[]): boolean {
    if (!this.useCellMarkers) return false;
    if (Object.keys(this.metadata).length) return true;
    const comment = this.ctx.comment;
    if (this.markerStart && this.markerEnd) {
      const startRe = new RegExp(`^${escapeRegExp(comment)}\\s*${escapeRegExp(this.markerStart)}\\s*(.*)$`);
      const endRe = new RegExp(`^${escapeRegExp(comment)}\\s*${escapeRegExp(this.markerEnd)}\\s*$`);
      if (startRe.test(source[0]!) || endRe.test(source[0]!)) return false;
    }
    if (this.source.every((line) => line.startsWith(comment))) return true;
    // After a blank line, indented code continues the cell above: an indented start (after any blank lines) needs a marker.
    const firstCode = source.find((line) => !isBlank(line));
    if (firstCode !== undefined && /^\s/.test(firstCode)) return true;
    // The cell needs a marker if reading its text back would not give exactly this cell.
    const reader = createCellReader(this.ctx, this.defaultLanguage);
    return reader.read(source).next < source.length;
  }

  override removeEndOfCellMarker(text: string[], next: Lines): string[] {
    if (this.markerStart) return text;
    const comment = this.ctx.comment;
    if (this.explicit && text[text.length - 1] === `${comment} -`) {
      if (next.length === 0 || next.at(0)!.startsWith(`${comment} +`)) {
        const out = text.slice(0, -1);
        // Without the end marker, the blank lines are the larger of those wanted at the end of the cell and before the next.
        if (
          this.linesToEndOfCellMarker &&
          (this.linesToNextCell === undefined || this.linesToEndOfCellMarker > this.linesToNextCell)
        )
          this.linesToNextCell = this.linesToEndOfCellMarker;
        return out;
      }
      let blank = this.linesToEndOfCellMarker;
      if (blank === undefined) blank = pep8LinesBetweenCells(text.slice(0, -1), next, this.ctx.extension) < 2 ? 0 : 2;
      return [...text.slice(0, -1), ...Array<string>(blank).fill(''), text[text.length - 1]!];
    }
    return text;
  }
}

/** `-`, or `--`, `---`… when the content has a line equal to the end marker. */
function endOfCellMarker(source: readonly string[], comment: string): string {
  let marker = '-';
  for (;;) {
    const re = new RegExp(`^${escapeRegExp(comment)}( )${escapeRegExp(marker)}\\s*$`);
    if (source.some((line) => re.test(line))) marker += '-';
    else return marker;
  }
}

/** A line that follows a markdown cell in MarkdownCellWriter's check: it must start a cell of its own. */
const SWALLOW_PROBE = 'nbpipe: the next cell';

/** Markdown: code cells as fenced blocks, markdown verbatim, regions where needed. */
export class MarkdownCellWriter extends CellWriter {
  private htmlComment(metadata: JsonObject, code: string): string[] {
    const start = Object.keys(metadata).length
      ? `<!-- #${code} ${metadataToText(undefined, metadata, this.cellMetadataJson)} -->`
      : `<!-- #${code} -->`;
    return [start, ...this.source, `<!-- #end${code} -->`];
  }

  cellToText(): string[] {
    if (this.cellType === 'markdown') {
      // A blank first line would merge with the separator, and an unclosed code fence would swallow the
      // cells after it: such cells are kept in a region (jupytext writes them bare, and loses them).
      // A blank last line is written bare as jupytext does (and is lost the same way).
      const source = this.source;
      let protect = Object.keys(this.metadata).length > 0 || (source.length > 1 && isBlank(source[0]!));
      if (!protect) {
        // Would the text read back as a shorter cell, or a cell of another type?
        const { cell, next } = createCellReader(this.ctx, this.defaultLanguage).read(this.source);
        protect = next < this.source.length || cell.cell_type !== this.cellType;
      }
      if (!protect) {
        // Does a code block it opens stay open (an odd number of fences, or "```" then "```python", which does not
        // close it), swallowing the cell that follows?
        const followed = [...source, '', '', SWALLOW_PROBE];
        protect = createCellReader(this.ctx, this.defaultLanguage).read(followed).cell.source.includes(SWALLOW_PROBE);
      }
      if (protect) {
        const region = this.metadata.region_name;
        delete this.metadata.region_name;
        return this.htmlComment(this.metadata, typeof region === 'string' ? region : 'region');
      }
      return this.source;
    }
    const source = commentMagics(this.source, this.language, this.commentMagics);
    if (this.metadata.active === '') delete this.metadata.active;
    if (typeof this.metadata.language === 'string') {
      this.language = this.metadata.language;
      delete this.metadata.language;
    }
    if (this.cellType === 'raw' && !isActive(this.ctx.extension, this.metadata, false))
      return this.htmlComment(this.metadata, 'raw');
    const fence = backticksFor(this.source);
    return [fence + metadataToText(this.language, this.metadata), ...source, fence];
  }
}

/** Three backticks, or one more than the longest run of backticks that starts a line of the content. */
function backticksFor(lines: readonly string[]): string {
  let fence = '```';
  for (const line of lines) {
    if (!line.startsWith(fence)) continue;
    for (const ch of line.slice(fence.length)) {
      if (ch !== '`') break;
      fence += '`';
    }
    fence += '`';
  }
  return fence;
}

export function createCellWriter(
  cell: Cell,
  defaultLanguage: string,
  ctx: FormatContext,
  unsupportedKeys: Set<string>,
): CellWriter {
  switch (ctx.formatName) {
    case 'percent':
      return new PercentCellWriter(cell, defaultLanguage, ctx, true, unsupportedKeys);
    case 'hydrogen':
      return new HydrogenCellWriter(cell, defaultLanguage, ctx, false, unsupportedKeys);
    case 'light':
      return new LightCellWriter(cell, defaultLanguage, ctx, unsupportedKeys);
    case 'nomarker':
      return new LightCellWriter(cell, defaultLanguage, ctx, unsupportedKeys, false);
    case 'markdown':
      return new MarkdownCellWriter(cell, defaultLanguage, ctx, true, unsupportedKeys);
  }
}
