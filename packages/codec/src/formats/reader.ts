import { codeCell, markdownCell, rawCell, type Cell, type JsonObject } from '@nbpipe/nbformat';
import { isJsonMetadata, textToMetadata } from './cellMetadata.js';
import {
  commentMagicsEnabled,
  isActive,
  optionBoolean,
  optionString,
  type FormatContext,
  customList,
} from './context.js';
import { JUPYTER_LANGUAGES, sameLanguage, scriptLanguage } from './languages.js';
import { isMagic, uncommentMagics, unescapeCodeStart } from './magics.js';
import { pep8LinesBetweenCells } from './pep8.js';
import { StringParser } from './strings.js';
import { escapeRegExp, isBlank, pyLstrip, pyStrip, toLines, uncommentLines } from './text.js';

type CellType = Cell['cell_type'];

/** Where a cell's content ends, where the next cell starts, and whether an explicit end marker closed it. */
type CellEnd = [contentEnd: number, nextCell: number, explicitEnd: boolean];

// gonb cells: `//gonb:%%` lines are the `%%` lines the writer escaped.
const GONB_ESCAPED = /^(\s*)\/\/ ?gonb:(%%.*)$/;

const lastTwoLinesBlank = (source: readonly string[], blank: (line: string) => boolean) =>
  source.length >= 3 &&
  !blank(source[source.length - 3]!) &&
  blank(source[source.length - 2]!) &&
  blank(source[source.length - 1]!);

/** Reads one cell from the start of a list of lines; one reader per cell. */
export abstract class CellReader {
  protected metadata: JsonObject | null = null;
  protected language: string | null = null;
  protected cellType: CellType = 'code';
  protected content: string[] = [];
  protected orgContent: string[] = [];
  protected explicitStart = false;
  protected linesToNextCell = 1;
  /** Whether the options used the JSON form (recorded on the notebook). */
  cellMetadataJson: boolean;
  protected readonly ext: string;
  protected readonly defaultLanguage: string;
  protected readonly commentMagics: boolean;
  protected readonly comment: string;
  protected readonly commentSuffix: string;

  constructor(
    protected readonly ctx: FormatContext,
    defaultLanguage?: string,
  ) {
    this.ext = ctx.extension;
    this.defaultLanguage = defaultLanguage || scriptLanguage(ctx.extension)?.language || 'python';
    this.commentMagics = commentMagicsEnabled(ctx);
    this.comment = ctx.comment;
    this.commentSuffix = ctx.commentSuffix;
    this.cellMetadataJson = optionBoolean(ctx, 'cell_metadata_json', false);
  }

  read(lines: readonly string[]): { cell: Cell; next: number } {
    this.readOptionLine(lines[0]!);
    if (this.metadata && 'language' in this.metadata) {
      this.language = String(this.metadata.language);
      delete this.metadata.language;
    }
    const next = this.findCellContent(lines);
    const metadata = this.metadata ?? {};
    const expected =
      this.ext === '.py'
        ? pep8LinesBetweenCells(this.orgContent.length ? this.orgContent : [''], lines.slice(next), this.ext)
        : 1;
    if (this.linesToNextCell !== expected) metadata.lines_to_next_cell = this.linesToNextCell;
    if (this.language) metadata.language = this.language;
    const source = this.content.join('\n');
    const cell =
      this.cellType === 'code'
        ? codeCell(source, { metadata })
        : this.cellType === 'markdown'
          ? markdownCell(source, { metadata })
          : rawCell(source, { metadata });
    return { cell, next };
  }

  /** Parse the marker line, if the cell has one (sets `metadata`). */
  protected abstract readOptionLine(line: string): void;
  protected abstract findCellEnd(lines: readonly string[]): CellEnd;

  protected findCellContent(lines: readonly string[]): number {
    const [contentEnd, cellEnd, explicitEnd] = this.findCellEnd(lines);
    let next = cellEnd;
    let start = 1;
    if (this.metadata === null) {
      start = 0;
      this.metadata = {};
    }
    let source = lines.slice(start, contentEnd);
    this.orgContent = [...source];
    if (this.ext === '.py' && explicitEnd) {
      let blankBeforeEnd = 0;
      if (lastTwoLinesBlank(source, isBlank)) {
        source = source.slice(0, -2);
        blankBeforeEnd = 2;
      }
      const pep8 = pep8LinesBetweenCells(source, lines.slice(contentEnd), this.ext);
      if (blankBeforeEnd !== (pep8 < 2 ? 0 : 2)) this.metadata.lines_to_end_of_cell_marker = blankBeforeEnd;
    }
    this.explicitStart = start > 0;
    this.content = this.extractContent(source);
    if (this.cellType === 'code') {
      if (!isActive('.ipynb', this.metadata)) {
        if (this.metadata.active === '') delete this.metadata.active;
        this.cellType = 'raw';
      } else if ((this.ext === '.md' || this.ext === '.markdown') && !this.language) this.cellType = 'raw';
    }
    if (next + 1 < lines.length && isBlank(lines[next]!) && !isBlank(lines[next + 1]!)) next += 1;
    else if (
      explicitEnd &&
      next + 2 < lines.length &&
      isBlank(lines[next]!) &&
      isBlank(lines[next + 1]!) &&
      !isBlank(lines[next + 2]!)
    )
      next += 2;
    this.linesToNextCell = countLinesToNextCell(contentEnd, next, lines.length, explicitEnd);
    return next;
  }

  protected extractContent(lines: string[]): string[] {
    return this.uncommentCodeAndMagics(lines);
  }

  protected uncommentCodeAndMagics(lines: string[]): string[] {
    return lines;
  }

  protected get cellLanguage(): string {
    return this.language || this.defaultLanguage;
  }
}

function countLinesToNextCell(contentEnd: number, next: number, total: number, explicitEnd: boolean): number {
  if (contentEnd >= total) return 1;
  let count = next - contentEnd;
  if (explicitEnd) count -= 1;
  if (next >= total) count += 1;
  return count;
}

/** Shared by percent and light: comments, triple-quoted markdown, magics. */
abstract class ScriptCellReader extends CellReader {
  /** Light escapes magics and code starts in commented content; percent does not (and so must not unescape). */
  protected abstract readonly escapesComments: boolean;

  /** Parse marker options: title, `[markdown]`/`[raw]`/`[md]`, `%` depth, metadata. */
  protected optionsToMetadata(options: string): JsonObject {
    this.cellMetadataJson = this.cellMetadataJson || isJsonMetadata(options);
    const parsed = textToMetadata(options, true);
    let title = parsed.title;
    const metadata = parsed.metadata;
    for (const type of ['markdown', 'raw', 'md']) {
      const code = `[${type}]`;
      if (title.includes(code)) {
        title = pyStrip(title.replace(code, ''));
        metadata.cell_type = type === 'md' ? 'markdown' : type;
        if (type === 'md') metadata.region_name = 'md';
        break;
      }
    }
    let depth = 0;
    while (title.startsWith('%')) {
      depth++;
      title = title.slice(1);
    }
    if (depth) {
      metadata.cell_depth = depth;
      title = pyStrip(title);
    }
    if (title) metadata.title = title;
    return metadata;
  }

  protected override extractContent(lines: string[]): string[] {
    const md = this.metadata ?? {};
    const activeCode =
      this.cellType === 'code' && isActive(this.ext, md, sameLanguage(this.cellLanguage, this.defaultLanguage));
    if (this.ext === '.py' && !activeCode) {
      const quoted = this.tripleQuotedContent(lines);
      if (quoted) return quoted;
    }
    const uncommentToken = this.ext === '.R' || this.ext === '.r' ? '#' : this.comment;
    if (!isActive(this.ext, md) || (!('active' in md) && this.language && this.language !== this.defaultLanguage))
      return uncommentLines(lines, uncommentToken, this.commentSuffix);
    return this.uncommentCodeAndMagics(lines);
  }

  /** Markdown written between triple quotes (`"""`, `r"""`, …), with the style recorded as `cell_marker`. */
  private tripleQuotedContent(lines: readonly string[]): string[] | undefined {
    let content = pyStrip(lines.join('\n'));
    for (const prefix of ['', 'r', 'R']) {
      for (const quote of ['"""', "'''"]) {
        let left = prefix + quote;
        let right = quote;
        if (!(content.startsWith(left) && content.endsWith(right) && content.length >= left.length + right.length))
          continue;
        content = content.slice(left.length, content.length - right.length);
        if (content.startsWith('\n')) {
          content = content.slice(1);
          left += '\n';
        }
        if (content.endsWith('\n')) {
          content = content.slice(0, -1);
          right = '\n' + right;
        }
        const md = this.metadata!;
        if (!prefix && left.length === 4 && right.length === 4) md.cell_marker = left.slice(0, 3);
        else if (prefix && left.length === 5 && right.length === 4) md.cell_marker = left.slice(0, 4);
        else md.cell_marker = left + ',' + right;
        return toLines(content);
      }
    }
    return undefined;
  }

  protected override uncommentCodeAndMagics(lines: string[]): string[] {
    const md = this.metadata ?? {};
    // A raw cell active in this extension was written as code.
    const code = this.cellType === 'code' || (this.cellType === 'raw' && isActive(this.ext, md, false));
    if (this.commentMagics && isActive(this.ext, md) && (code || this.escapesComments)) {
      lines = uncommentMagics(lines, this.cellLanguage, true, code && this.explicitStart, code);
      if (code && this.defaultLanguage === 'go') lines = lines.map((line) => line.replace(GONB_ESCAPED, '$1$2'));
    }
    if (code) return this.escapesComments ? unescapeCodeStart(lines, this.ext, this.cellLanguage) : lines;
    return uncommentLines(lines, this.ext === '.R' || this.ext === '.r' ? '#' : this.comment, this.commentSuffix);
  }
}

/** `# %%` cells (and nbconvert's `# In[1]:`, `# <codecell>`). */
export class PercentCellReader extends ScriptCellReader {
  protected readonly escapesComments = false;
  private readonly startRe: RegExp;
  private readonly altStartRe: RegExp;

  constructor(ctx: FormatContext, defaultLanguage?: string) {
    super(ctx, defaultLanguage);
    const c = escapeRegExp(this.comment);
    this.startRe = new RegExp(`^\\s*${c}\\s*%%(%*)\\s(.*)$`);
    this.altStartRe = new RegExp(`^\\s*${c}\\s*(%%|<codecell>|In\\[[0-9 ]*\\]:?)\\s*$`);
    this.explicitStart = true;
  }

  private isMarker(line: string): boolean {
    return this.startRe.test(line) || this.altStartRe.test(line);
  }

  protected readOptionLine(line: string): void {
    if (this.startRe.test(line)) {
      const uncommented = uncommentLines([line], this.comment, this.commentSuffix)[0]!;
      this.metadata = this.optionsToMetadata(uncommented.slice(uncommented.indexOf('%%') + 2));
    } else if (this.altStartRe.test(line)) this.metadata = {};
  }

  protected findCellEnd(lines: readonly string[]): CellEnd {
    const md = this.metadata ?? {};
    if ('cell_type' in md) {
      this.cellType = md.cell_type as CellType;
      delete md.cell_type;
    } else if (!isActive('.ipynb', md)) {
      if (md.active === '') delete md.active;
      this.cellType = 'raw';
    } else this.cellType = 'code';
    let next = lines.length;
    const parser = new StringParser(this.cellLanguage);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (parser.isQuoted()) {
        parser.readLine(line);
        continue;
      }
      if (i > 0 && this.isMarker(line)) {
        next = i;
        break;
      }
      parser.readLine(line);
    }
    // Only truly empty lines separate cells: a whitespace-only last line belongs to the cell.
    let lastContent = next;
    const start = this.isMarker(lines[0]!) ? 1 : 0;
    while (lastContent > start && lines[lastContent - 1] === '') lastContent--;
    if (next === lines.length) return [next, next, false];
    // The writer puts the PEP 8 separator after the cell's text, final empty lines of its source included
    // (they count towards the two blank lines a definition wants, as in jupytext). So the empty lines that
    // end the source are the fewest that, with the separator the writer would add after them, make up the
    // empty lines found here: a source ending with a newline comes back. (jupytext takes one or two as the
    // separator and records any other count in `lines_to_next_cell`, which loses such a newline.) Where two
    // sources give the same text, e.g. `x = 1` and `x = 1\n` before a `def`, this reads the shorter one,
    // as jupytext does.
    const empty = next - lastContent;
    const following = lines.slice(next);
    const separatorAfter = (end: number) => {
      if (this.ext !== '.py') return 1;
      const text = lines.slice(start, end);
      return pep8LinesBetweenCells(text.length ? text : [''], following, this.ext);
    };
    for (let inSource = 0; inSource <= empty; inSource++)
      if (inSource + separatorAfter(lastContent + inSource) === empty) return [lastContent + inSource, next, false];
    if (lastTwoLinesBlank(lines.slice(0, next), (line) => line === '')) return [next - 2, next, false];
    if (next > 0 && lines[next - 1] === '') return [next - 1, next, false];
    return [next, next, false];
  }

  protected override findCellContent(lines: readonly string[]): number {
    const [contentEnd, next, explicitEnd] = this.findCellEnd(lines);
    const start = this.isMarker(lines[0]!) ? 1 : 0;
    if (this.metadata === null) this.metadata = {};
    const source = lines.slice(start, contentEnd);
    this.orgContent = [...source];
    this.content = this.extractContent(source);
    this.linesToNextCell = countLinesToNextCell(contentEnd, next, lines.length, explicitEnd);
    return next;
  }
}

/** Light: explicit `# +` … `# -` cells, else paragraphs (comments → markdown, code). */
export class LightCellReader extends ScriptCellReader {
  protected readonly escapesComments = true;
  private readonly startRe: RegExp;
  private endRe: RegExp | null = null;
  private readonly customEndRe: RegExp | null = null;
  private readonly markerStart: string | undefined;
  private readonly markerEnd: string | undefined;
  private ignoreEndMarker = true;
  private explicitEndMarkerRequired = false;

  constructor(ctx: FormatContext, defaultLanguage?: string) {
    super(ctx, defaultLanguage);
    const c = escapeRegExp(this.comment);
    const markers = optionString(ctx, 'cell_markers');
    if (markers && markers !== '+,-' && markers.includes(',') && !/"""|'''/.test(markers)) {
      const comma = markers.indexOf(',');
      this.markerStart = markers.slice(0, comma);
      this.markerEnd = markers.slice(comma + 1);
      this.startRe = new RegExp(`^${c}\\s*${escapeRegExp(this.markerStart)}\\s*(.*)$`);
      this.customEndRe = new RegExp(`^${c}\\s*${escapeRegExp(this.markerEnd)}\\s*$`);
      this.endRe = this.customEndRe;
    } else this.startRe = new RegExp(`^${c}\\s*\\+(.*)$`);
  }

  protected readOptionLine(line: string): void {
    if (this.startRe.test(line)) {
      const suffix = this.commentSuffix;
      if (suffix) {
        if (line.endsWith(' ' + suffix)) line = line.slice(0, -(suffix.length + 1));
        else if (line.endsWith(suffix)) line = line.slice(0, -suffix.length);
      }
      const options = this.startRe.exec(line)?.[1] ?? '';
      this.metadata = this.optionsToMetadata(options);
      this.ignoreEndMarker = false;
      if (this.markerStart) this.explicitEndMarkerRequired = true;
    } else if (this.customEndRe && this.customEndRe.test(line)) {
      this.metadata = null;
      this.cellType = 'code';
    }
  }

  protected findCellEnd(lines: readonly string[]): CellEnd {
    if (
      this.metadata === null &&
      !(this.customEndRe && this.customEndRe.test(lines[0]!)) &&
      this.paragraphIsFullyCommented(lines)
    ) {
      this.cellType = 'markdown';
      for (let i = 0; i < lines.length; i++) if (isBlank(lines[i]!)) return [i, i + 1, false];
      return [lines.length, lines.length, false];
    }
    if (this.metadata === null) {
      if (!this.markerEnd) this.endRe = null;
    } else if (!this.markerEnd) {
      const endOfCell = typeof this.metadata.endofcell === 'string' ? this.metadata.endofcell : '-';
      // The writer recomputes it from the content: not worth keeping in the notebook.
      delete this.metadata.endofcell;
      this.endRe = new RegExp(`^${escapeRegExp(this.comment)} ${escapeRegExp(endOfCell)}\\s*$`);
    }
    return this.findRegionEnd(lines);
  }

  private paragraphIsFullyCommented(lines: readonly string[]): boolean {
    const comment = this.comment;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith(comment)) {
        if (pyLstrip(line.slice(comment.length)).startsWith(comment)) continue;
        if (isMagic(line, this.defaultLanguage)) return false;
        continue;
      }
      return i > 0 && isBlank(line);
    }
    return true;
  }

  private findRegionEnd(lines: readonly string[]): CellEnd {
    if (this.metadata && 'cell_type' in this.metadata) {
      this.cellType = this.metadata.cell_type as CellType;
      delete this.metadata.cell_type;
    } else this.cellType = 'code';
    const parser = new StringParser(this.cellLanguage);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (this.metadata !== null && i === 0) continue;
      if (parser.isQuoted()) {
        parser.readLine(line);
        continue;
      }
      parser.readLine(line);
      if (this.startRe.test(line)) {
        if (this.explicitEndMarkerRequired) {
          // The options held only if an end marker came before the next start marker.
          this.metadata = null;
          this.language = null;
        }
        if (i > 0 && isBlank(lines[i - 1]!)) {
          if (i > 1 && isBlank(lines[i - 2]!)) return [i - 2, i, false];
          return [i - 1, i, false];
        }
        return [i, i, false];
      }
      if (!this.ignoreEndMarker && this.endRe) {
        if (this.endRe.test(line)) return [i, i + 1, true];
      } else if (isBlank(line) && !nextCodeIsIndented(lines.slice(i))) {
        if (i > 0) return [i, i + 1, false];
        if (lines.length > 1 && !isBlank(lines[1]!)) return [1, 1, false];
        return [1, 2, false];
      }
    }
    return [lines.length, lines.length, false];
  }
}

function nextCodeIsIndented(lines: readonly string[]): boolean {
  for (const line of lines) {
    if (isBlank(line)) continue;
    return /^\s/.test(line);
  }
  return false;
}

/** jupytext markdown: fenced code cells in a Jupyter language, HTML-comment regions, the rest markdown. */
export class MarkdownCellReader extends CellReader {
  private startCodeRe: RegExp;
  private nonJupyterCodeRe: RegExp;
  private endCodeRe: RegExp = /^```\s*$/;
  private readonly startRegionRe = /^<!--\s*#(region|markdown|md|raw)(.*)-->\s*$/;
  private endRegionRe: RegExp | null = null;
  private inRegion = false;
  private readonly splitAtHeading: boolean;
  private readonly legacy: boolean;

  constructor(ctx: FormatContext, defaultLanguage?: string) {
    super(ctx, defaultLanguage);
    this.splitAtHeading = optionBoolean(ctx, 'split_at_heading', false);
    this.legacy = ctx.formatVersion === '1.0' || ctx.formatVersion === '1.1';
    if (this.legacy) {
      this.startCodeRe = /^```(.*)/;
      this.nonJupyterCodeRe = /^```\{/;
    } else {
      const languages = [...JUPYTER_LANGUAGES, ...customList(ctx, 'custom_language_magics')];
      const alternatives = [...new Set([...languages, ...languages.map((l) => l.toUpperCase())])]
        .map(escapeRegExp)
        .join('|');
      this.startCodeRe = new RegExp(`^\`\`\`(\`*)(\\s*)(${alternatives})($|\\s.*$)`);
      this.nonJupyterCodeRe = /^```/;
    }
  }

  /** Language and metadata of a code fence, and the fence that closes it. */
  private fenceOptions(line: string): { language: string; metadata: JsonObject } {
    const m = this.startCodeRe.exec(line)!;
    let options: string;
    if (this.legacy) {
      this.endCodeRe = /^```\s*$/;
      options = m[1]!;
    } else {
      this.endCodeRe = new RegExp('^```' + m[1]!);
      options = [m[2]!, m[3]!, m[4]!].join(' ');
    }
    this.cellMetadataJson = this.cellMetadataJson || isJsonMetadata(options);
    const { title, metadata } = textToMetadata(options);
    return { language: title, metadata };
  }

  protected readOptionLine(line: string): void {
    const region = this.startRegionRe.exec(line);
    if (region) {
      this.inRegion = true;
      const name = region[1]!;
      this.endRegionRe = new RegExp(`^<!--\\s*#end${name}\\s*-->\\s*$`);
      this.cellMetadataJson = this.cellMetadataJson || isJsonMetadata(region[2]!);
      const { title, metadata } = textToMetadata(region[2]!, true);
      this.metadata = metadata;
      this.cellType = name === 'raw' ? 'raw' : 'markdown';
      if (title) this.metadata.title = title;
      if (name === 'markdown' || name === 'md') this.metadata.region_name = name;
    } else if (this.startCodeRe.test(line)) {
      const { language, metadata } = this.fenceOptions(line);
      // A code block with the `.noeval` attribute is markdown.
      if (metadata['.noeval'] === null) {
        this.metadata = null;
        this.language = null;
      } else {
        this.language = language;
        this.metadata = metadata;
      }
    }
  }

  protected findCellEnd(lines: readonly string[]): CellEnd {
    if (this.inRegion) {
      for (let i = 0; i < lines.length; i++) if (this.endRegionRe!.test(lines[i]!)) return [i, i + 1, true];
      return [lines.length, lines.length, false];
    }
    if (this.metadata === null) return this.findMarkdownEnd(lines);
    this.cellType = 'code';
    const parser = new StringParser(this.cellLanguage);
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (parser.isQuoted()) {
        parser.readLine(line);
        continue;
      }
      parser.readLine(line);
      if (this.endCodeRe.test(line)) return [i, i + 1, true];
    }
    return [lines.length, lines.length, false];
  }

  /** A markdown cell ends at two blank lines, a region, or a code cell; code blocks inside it are skipped. */
  private findMarkdownEnd(lines: readonly string[]): CellEnd {
    this.cellType = 'markdown';
    let prevBlank = 0;
    let inExplicitCodeBlock = false;
    let inIndentedCodeBlock = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (inExplicitCodeBlock && this.endCodeRe.test(line)) {
        inExplicitCodeBlock = false;
        continue;
      }
      if (prevBlank && line.startsWith('    ') && !isBlank(line)) {
        inIndentedCodeBlock = true;
        prevBlank = 0;
        continue;
      }
      if (inIndentedCodeBlock && !isBlank(line) && !line.startsWith('    ')) inIndentedCodeBlock = false;
      if (inIndentedCodeBlock || inExplicitCodeBlock) continue;
      if (this.startRegionRe.test(line)) {
        if (i > 1 && prevBlank) return [i - 1, i, false];
        return [i, i, false];
      }
      if (this.startCodeRe.test(line)) {
        if (line.startsWith('```{bibliography}')) {
          inExplicitCodeBlock = true;
          prevBlank = 0;
          continue;
        }
        const { metadata } = this.fenceOptions(line);
        if (metadata['.noeval'] === null) {
          inExplicitCodeBlock = true;
          prevBlank = 0;
          continue;
        }
        if (i > 1 && prevBlank) return [i - 1, i, false];
        return [i, i, false];
      }
      if (this.nonJupyterCodeRe.test(line)) {
        if (prevBlank >= 2) return [i - 2, i, true];
        inExplicitCodeBlock = true;
        this.endCodeRe = /^```\s*$/;
        prevBlank = 0;
        continue;
      }
      if (this.splitAtHeading && line.startsWith('#') && prevBlank >= 1) return [i - 1, i, false];
      if (isBlank(line)) prevBlank += 1;
      else if (i > 2 && prevBlank >= 2) return [i - 2, i, true];
      else prevBlank = 0;
    }
    return [lines.length, lines.length, false];
  }

  protected override uncommentCodeAndMagics(lines: string[]): string[] {
    if (this.cellType === 'code' && this.commentMagics) return uncommentMagics(lines, this.cellLanguage);
    return lines;
  }
}

export function createCellReader(ctx: FormatContext, defaultLanguage?: string): CellReader {
  switch (ctx.formatName) {
    case 'percent':
    case 'hydrogen':
      return new PercentCellReader(ctx, defaultLanguage);
    case 'light':
    case 'nomarker':
      return new LightCellReader(ctx, defaultLanguage);
    case 'markdown':
      return new MarkdownCellReader(ctx, defaultLanguage);
  }
}
