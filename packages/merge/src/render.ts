import { splitAtNewlines, type Cell, type Output } from '@nbpipe/nbformat';
import type {
  CellChanges,
  CellDiff,
  JsonChange,
  MimeChange,
  NotebookDiff,
  OutputChanges,
  OutputDiff,
  TextDiff,
} from './diff.js';
import { formatJson, isPlainObject } from './json.js';
import { formatBytes, isBinaryMime, mimeValueSize } from './text.js';
import { mimeSummary, outputPreview, outputTitle, stripAnsi } from './summary.js';

export interface RenderOptions {
  color: boolean;
  /** Names for the `---`/`+++` header lines; the header is left out when neither is given. */
  fromLabel?: string;
  toLabel?: string;
}

/** Lines shown for an added or removed output before eliding the rest. */
const OUTPUT_PREVIEW_LINES = 20;

type Kind = 'header' | 'hunk' | 'add' | 'remove' | 'keep';

const COLORS: Record<Kind, string> = {
  header: '\x1b[1;34m',
  hunk: '\x1b[36m',
  add: '\x1b[32m',
  remove: '\x1b[31m',
  keep: '',
};

class Printer {
  readonly lines: string[] = [];
  constructor(private readonly color: boolean) {}
  line(kind: Kind, text: string): void {
    this.lines.push(this.color && COLORS[kind] ? `${COLORS[kind]}${text}\x1b[0m` : text);
  }
  added(text: string): void {
    this.line('add', `+${text}`);
  }
  removed(text: string): void {
    this.line('remove', `-${text}`);
  }
  info(text: string): void {
    this.line('keep', ` ${text}`);
  }
}

function printTextDiff(p: Printer, text: TextDiff, indent: string, clean: (s: string) => string = (s) => s): void {
  // One hunk showing both texts whole needs no line numbers.
  const whole =
    text.hunks.length === 1 &&
    text.hunks[0]!.oldLines === splitAtNewlines(text.a).length &&
    text.hunks[0]!.newLines === splitAtNewlines(text.b).length;
  for (const hunk of text.hunks) {
    // Nested hunks line up with their lines, which start after the +/- column.
    const at = indent ? ` ${indent}` : '';
    if (!whole) p.line('hunk', `${at}@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) {
      // Notebook sources rarely end with a newline; git's marker for that would be noise.
      if (line.startsWith('\\')) continue;
      const body = indent + clean(line.slice(1));
      if (line[0] === '+') p.added(body);
      else if (line[0] === '-') p.removed(body);
      else p.info(body);
    }
  }
}

const textLines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

function printJsonChanges(p: Printer, changes: readonly JsonChange[], indent: string): void {
  for (const change of changes) {
    const key = change.path.join('.');
    if (change.op !== 'added') p.removed(`${indent}${key}: ${formatJson(change.a)}`);
    if (change.op !== 'removed') p.added(`${indent}${key}: ${formatJson(change.b)}`);
  }
}

const sizeOf = (mime: string, value: unknown) => formatBytes(mimeValueSize(mime, value));

function printMimeChange(p: Printer, change: MimeChange, indent: string): void {
  const { mime } = change;
  const textual = !isBinaryMime(mime) && typeof (change.b ?? change.a) === 'string';
  if (change.op === 'changed' && change.text) {
    p.info(`${indent}${mime}:`);
    printTextDiff(p, change.text, indent + '  ', stripAnsi);
  } else if (change.op === 'changed') {
    p.info(`${indent}${mime} changed (${sizeOf(mime, change.a)} → ${sizeOf(mime, change.b)})`);
  } else if (textual) {
    p.info(`${indent}${mime} ${change.op}:`);
    const lines = textLines(stripAnsi(String(change.a ?? change.b)));
    for (const line of lines) (change.op === 'added' ? p.added : p.removed).call(p, `${indent}  ${line}`);
  } else p.info(`${indent}${mime} ${change.op} (${sizeOf(mime, change.a ?? change.b)})`);
}

function printOutputPreview(p: Printer, output: Output, index: number, op: 'added' | 'removed', indent: string): void {
  const write = (text: string) => (op === 'added' ? p.added(text) : p.removed(text));
  write(`${indent}${outputTitle(output, index)}:`);
  for (const line of outputPreview(output, OUTPUT_PREVIEW_LINES)) write(`${indent}  ${line}`);
}

function printOutputChanges(p: Printer, changes: OutputChanges, indent: string): void {
  if (changes.text) printTextDiff(p, changes.text, indent, stripAnsi);
  for (const change of changes.data ?? []) printMimeChange(p, change, indent);
  if (changes.executionCount)
    p.info(
      `${indent}execution_count: ${formatJson(changes.executionCount.a)} → ${formatJson(changes.executionCount.b)}`,
    );
  if (changes.fields) printJsonChanges(p, changes.fields, indent);
  if (changes.metadata) {
    p.info(`${indent}metadata:`);
    printJsonChanges(p, changes.metadata, indent + '  ');
  }
}

function printOutputs(p: Printer, outputs: readonly OutputDiff[]): void {
  p.info('outputs:');
  for (const o of outputs) {
    if (o.op === 'added') printOutputPreview(p, o.output, o.b, 'added', '  ');
    else if (o.op === 'removed') printOutputPreview(p, o.output, o.a, 'removed', '  ');
    else {
      const where = o.a === o.b ? `output ${o.b}` : `output ${o.a} → ${o.b}`;
      p.info(`  ${where} (${o.outputType}${o.name !== undefined ? ' ' + o.name : ''}) modified:`);
      printOutputChanges(p, o.changes, '    ');
    }
  }
}

function printAttachments(p: Printer, changes: readonly JsonChange[]): void {
  p.info('attachments:');
  for (const change of changes) {
    const [name, mime] = change.path as [string, string | undefined];
    if (mime === undefined) {
      const bundle = change.op === 'added' ? change.b : change.a;
      const mimes = isPlainObject(bundle)
        ? Object.keys(bundle)
            .sort()
            .map((m) => mimeSummary(m, bundle[m]))
        : [];
      const text = `  ${name} ${change.op} (${mimes.join(', ')})`;
      if (change.op === 'added') p.added(text);
      else if (change.op === 'removed') p.removed(text);
      else p.info(text);
    } else printMimeChange(p, { mime, op: change.op, a: change.a, b: change.b }, `  ${name}: `);
  }
}

function printSource(p: Printer, source: TextDiff): void {
  p.info('source:');
  printTextDiff(p, source, '');
}

function printChanges(p: Printer, changes: CellChanges): void {
  if (changes.cellType) p.info(`cell_type: ${changes.cellType.a} → ${changes.cellType.b}`);
  if (changes.id) p.info(`id: ${formatJson(changes.id.a)} → ${formatJson(changes.id.b)}`);
  if (changes.source) printSource(p, changes.source);
  if (changes.outputs) printOutputs(p, changes.outputs);
  if (changes.executionCount)
    p.info(`execution_count: ${formatJson(changes.executionCount.a)} → ${formatJson(changes.executionCount.b)}`);
  if (changes.metadata) {
    p.info('metadata:');
    printJsonChanges(p, changes.metadata, '  ');
  }
  if (changes.attachments) printAttachments(p, changes.attachments);
}

function printWholeCell(p: Printer, cell: Cell, op: 'added' | 'removed'): void {
  const write = (text: string) => (op === 'added' ? p.added(text) : p.removed(text));
  for (const line of textLines(String(cell.source ?? ''))) write(line);
  if (cell.cell_type === 'code')
    (cell.outputs ?? []).forEach((output, k) => printOutputPreview(p, output, k, op, '  '));
}

function cellHeader(cell: CellDiff): string {
  switch (cell.op) {
    case 'added':
      return `cell ${cell.b} (${cell.cell.cell_type}) added`;
    case 'removed':
      return `cell ${cell.a} (${cell.cell.cell_type}) removed`;
    case 'modified':
      return `cell ${cell.b} (${cell.cellType}) modified`;
    case 'moved':
      return `cell ${cell.b} (${cell.cellType}) moved from ${cell.a} to ${cell.b}${Object.keys(cell.changes).length ? ' and modified' : ''}`;
  }
}

/**
 * The diff for a terminal: a `## cell N (type) …` header per changed cell (0-based indices),
 * unified line diffs of sources and text outputs, binary outputs as sizes, metadata changes as
 * `key: value` lines. Empty for an empty diff.
 */
export function renderDiff(diff: NotebookDiff, options: RenderOptions): string {
  const p = new Printer(options.color);
  if (options.fromLabel !== undefined || options.toLabel !== undefined) {
    p.line('header', `--- ${options.fromLabel ?? ''}`);
    p.line('header', `+++ ${options.toLabel ?? ''}`);
  }
  const headerLines = p.lines.length;
  for (const cell of diff.cells) {
    p.line('header', `## ${cellHeader(cell)}`);
    if (cell.op === 'added') printWholeCell(p, cell.cell, 'added');
    else if (cell.op === 'removed') printWholeCell(p, cell.cell, 'removed');
    else printChanges(p, cell.changes);
    p.lines.push('');
  }
  if (diff.metadata.length) {
    p.line('header', '## notebook metadata');
    printJsonChanges(p, diff.metadata, '  ');
    p.lines.push('');
  }
  if (diff.nbformat) {
    p.line('header', `## nbformat ${diff.nbformat.a} → ${diff.nbformat.b}`);
    p.lines.push('');
  }
  if (p.lines.length === headerLines) return '';
  return p.lines.join('\n');
}
