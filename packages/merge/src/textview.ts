import type { Cell, JsonObject, Notebook } from '@nbpipe/nbformat';
import { formatJson } from './json.js';
import { outputPreview } from './summary.js';

/** Output lines shown per output; the rest is counted. */
const OUTPUT_LINES = 10;

/** Line comment of the notebook's language, for markdown and output lines. */
function commentFor(nb: Notebook): string {
  const language = String(
    nb.metadata.language_info?.name ?? nb.metadata.kernelspec?.language ?? 'python',
  ).toLowerCase();
  if (
    [
      'javascript',
      'typescript',
      'java',
      'scala',
      'kotlin',
      'c',
      'c++',
      'cpp',
      'c#',
      'csharp',
      'rust',
      'go',
      'groovy',
      'swift',
    ].includes(language)
  )
    return '//';
  if (['sql', 'haskell', 'lua'].includes(language)) return '--';
  if (['matlab', 'octave'].includes(language)) return '%';
  return '#';
}

const VIEW_STATE = new Set(['collapsed', 'scrolled', 'autoscroll', 'trusted']);

/** Cell metadata worth showing: everything but Jupyter's view state. */
function shownMetadata(cell: Cell): JsonObject {
  return Object.fromEntries(Object.entries(cell.metadata ?? {}).filter(([key]) => !VIEW_STATE.has(key)));
}

const commented = (comment: string, line: string) => (line === '' ? comment : `${comment} ${line}`);

/**
 * A readable text view for `git diff` textconv: percent-format cells (`# %%`, `# %% [markdown]`
 * with commented text), notebook and cell metadata as JSON, and each code cell's outputs
 * summarised as comments (text shortened, images as `[image/png 12.3 KB]`, errors as `ename: evalue`).
 */
export function textView(nb: Notebook): string {
  const comment = commentFor(nb);
  const out: string[] = [];
  for (const key of Object.keys(nb.metadata).sort())
    out.push(`${comment} metadata.${key}: ${formatJson(nb.metadata[key])}`);
  for (const cell of nb.cells) {
    if (out.length) out.push('');
    const meta = shownMetadata(cell);
    const kind = cell.cell_type === 'code' ? '' : ` [${cell.cell_type}]`;
    out.push(`${comment} %%${kind}${Object.keys(meta).length ? ' ' + formatJson(meta) : ''}`);
    const lines = String(cell.source ?? '') === '' ? [] : String(cell.source).replace(/\n$/, '').split('\n');
    if (cell.cell_type !== 'code') {
      out.push(...lines.map((line) => commented(comment, line)));
      continue;
    }
    out.push(...lines);
    const outputs = cell.outputs ?? [];
    if (outputs.length || cell.execution_count !== null)
      out.push(
        `${comment} Out[${cell.execution_count === null || cell.execution_count === undefined ? ' ' : String(cell.execution_count)}]:`,
      );
    for (const output of outputs)
      for (const line of outputPreview(output, OUTPUT_LINES)) out.push(commented(comment, `  ${line}`));
  }
  return out.length ? out.join('\n') + '\n' : '';
}
