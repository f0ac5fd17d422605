import { readFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { decodeNotebookBytes, parse } from '@nbpipe/nbformat';
import type { GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  file: string;
}

/**
 * Print a notebook as text for git's textconv: percent-style cells with outputs summarised. Anything that is not a
 * readable notebook is printed unchanged, because a failing textconv makes git abort the whole `log -p` or `show`.
 */
export async function runTextconv(file: string): Promise<void> {
  const bytes = await readFile(file);
  let text: string;
  try {
    const notebook = parse(decodeNotebookBytes(bytes, file), { path: file });
    const { textView } = await import('@nbpipe/merge');
    text = textView(notebook);
  } catch {
    process.stdout.write(bytes);
    return;
  }
  await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
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
