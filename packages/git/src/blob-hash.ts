import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';

/** The object id git gives an empty file. */
export const EMPTY_BLOB_OID = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

/** Git's object id for a blob with this content: sha1 of `blob <length>\0<content>`. */
export function gitBlobHash(content: Uint8Array | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const CHUNK = 1 << 20;
/** The read buffer, allocated once and reused: hashing is synchronous, so no two calls share it. */
let chunk: Buffer | undefined;

/** `lstat` of `path`, or undefined when nothing is there (a parent that is a file counts as nothing, ENOTDIR). */
export function lstatIfPresent(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Git's blob id of a file on disk, as `git hash-object --no-filters` computes it, read in 1 MiB
 * chunks so that large data products are hashed in constant memory. A symlink hashes its target
 * path, as git stores it. Returns undefined when the file does not exist.
 * Synchronous on purpose: hashing many small files is faster without a promise per file.
 * Directories are the caller's business (EISDIR).
 */
export function hashFileAsBlob(path: string, stats?: { isSymbolicLink(): boolean }, attempt = 1): string | undefined {
  const st = stats ?? lstatIfPresent(path);
  if (!st) return undefined;
  if (st.isSymbolicLink()) return gitBlobHash(Buffer.from(readlinkSync(path)));
  const fd = openSync(path, 'r');
  try {
    // The size may change between lstat and read (a file still being written): hash what we read,
    // with the length taken from the open descriptor, and re-check that we got all of it.
    const size = Number(fstatSync(fd).size);
    const hash = createHash('sha1').update(`blob ${size}\0`);
    chunk ??= Buffer.allocUnsafe(CHUNK);
    let total = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      total += n;
    }
    if (total !== size) {
      if (attempt < 3) return hashFileAsBlob(path, undefined, attempt + 1);
      throw new Error(`${path}: file kept changing while it was being hashed`);
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}
