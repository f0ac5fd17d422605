import type { JsonObject, Output } from '@nbpipe/nbformat';
import { formatBytes, mimeValueSize } from './text.js';

/** Terminal escape sequences inside outputs (coloured tracebacks, progress bars). */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

export const stripAnsi = (text: string) => text.replace(ANSI, '');

/** `image/png 12.3 KB`. */
export const mimeSummary = (mime: string, value: unknown) => `${mime} ${formatBytes(mimeValueSize(mime, value))}`;

/** Text lines for display (no line ends; at most `limit`, then a count of the rest). */
export function previewLines(text: string, limit: number): string[] {
  const lines = stripAnsi(text).replace(/\n$/, '').split('\n');
  if (lines.length <= limit) return lines;
  return [...lines.slice(0, limit), `… ${lines.length - limit} more lines`];
}

/** `output 2 (stream stdout)`, `output 0 (execute_result)`. */
export function outputTitle(output: Output, index: number): string {
  const detail = output.output_type === 'stream' ? ` ${String(output.name)}` : '';
  return `output ${index} (${output.output_type}${detail})`;
}

/** Readable lines describing one output: its text, and binary payloads as `[image/png 12.3 KB]`. */
export function outputPreview(output: Output, limit: number): string[] {
  switch (output.output_type) {
    case 'stream':
      return previewLines(String(output.text ?? ''), limit);
    case 'error':
      return [`${String(output.ename)}: ${stripAnsi(String(output.evalue))}`];
    default: {
      const data = (output.data as JsonObject | undefined) ?? {};
      const lines: string[] = [];
      const text = data['text/plain'];
      const mimes = Object.keys(data).sort();
      if (typeof text === 'string') lines.push(...previewLines(text, limit));
      for (const mime of mimes) {
        if (mime === 'text/plain') continue;
        lines.push(`[${mimeSummary(mime, data[mime])}]`);
      }
      return lines;
    }
  }
}
