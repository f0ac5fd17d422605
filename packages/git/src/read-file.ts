import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * Reading a file whose errors name it. A directory opens and then fails on the read, with an error that names no file
 * (`EISDIR: illegal operation on a directory, read`); this one carries the path like any other, for the one-line
 * message every command prints (`nbpipe: x.ipynb: is a directory`).
 */
function namingPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code && err.path === undefined) err.path = path;
  return e;
}

/** A file's bytes; an error names the file. */
export async function readFileNamed(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw namingPath(e, path);
  }
}

/** readFileNamed, synchronously: for many small files a thread-pool round trip each costs more than the read. */
export function readFileNamedSync(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw namingPath(e, path);
  }
}
