import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { decodeNotebookBytes, parse } from '@nbpipe/nbformat';
import { textconvContent } from '../committed-content.js';
import type { GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  file: string;
}

/**
 * A notebook as text for git's textconv: percent-style cells with outputs summarised. Anything that is not a readable
 * notebook comes back unchanged, because a failing textconv makes git abort the whole `log -p` or `show`.
 */
async function textconvOutput(bytes: Buffer, file: string): Promise<string | Buffer> {
  try {
    const notebook = parse(decodeNotebookBytes(bytes, file), { path: file });
    const { textView } = await import('@nbpipe/merge');
    return textView(notebook);
  } catch {
    return bytes;
  }
}

/** What textconv prints for `file` (relative to `cwd`): the blob git means by it (textconvContent), as text. */
export async function textconvFile(file: string, cwd = process.cwd()): Promise<string | Buffer> {
  const bytes = await readFile(resolve(cwd, file));
  // Failing would abort git's whole command (see textconvOutput): the file as it is then.
  const content = await textconvContent(bytes, file, cwd).catch(() => bytes);
  return textconvOutput(content, file);
}

/** `nbpipe textconv FILE`: print textconvFile. */
export async function runTextconv(file: string): Promise<void> {
  const output = await textconvFile(file);
  await new Promise<void>((resolve, reject) => process.stdout.write(output, (e) => (e ? reject(e) : resolve())));
}

export const textconvCommand: CommandModule<GlobalArgs, Args> = {
  command: 'textconv <file>',
  describe: "A notebook as reviewable text (percent cells, outputs summarised), for git's diff.<driver>.textconv",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'notebook to show' })
      .example('$0 textconv analysis.ipynb', 'what `git log -p` shows for a notebook after `nbpipe install`'),
  handler: (argv) => runTextconv(argv.file),
};
