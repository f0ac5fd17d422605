import { readFileNamed } from '@nbpipe/git/read-file';
import { decodeNotebookBytes, parseNotebook, type Notebook, type ParseOptions, type Repair } from '@nbpipe/nbformat';

/** Read all of standard input. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Read a file's bytes, or standard input's for `-`. */
export async function readBytes(path: string): Promise<Uint8Array> {
  return path === '-' ? readStdin() : readFileNamed(path);
}

/** Read a file (or `-` for stdin) as UTF-8 text; binary and bad encodings are NotebookErrors naming the file. */
export async function readText(path: string): Promise<string> {
  return decodeNotebookBytes(await readBytes(path), path === '-' ? '<stdin>' : path);
}

/** Read and parse a notebook (or `-` for stdin), repaired on read; `repairs` lists the slips repaired. */
export async function readNotebook(
  path: string,
  options: Omit<ParseOptions, 'path'> = {},
): Promise<{ text: string; notebook: Notebook; repairs: Repair[] }> {
  const text = await readText(path);
  const { notebook, repairs } = parseNotebook(text, { ...options, path: path === '-' ? '<stdin>' : path });
  return { text, notebook, repairs };
}

/** Write text to a file atomically, or to stdout for `-`. */
export async function writeText(path: string, text: string): Promise<void> {
  if (path === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
    return;
  }
  // Loaded here, not at the top: @nbpipe/git would cost every command's start-up.
  const { writeFileAtomic } = await import('@nbpipe/git');
  await writeFileAtomic(path, text);
}
