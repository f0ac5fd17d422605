import { readFileSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { EMPTY_BLOB_OID, hashFileAsBlob, lstatIfPresent } from './blob-hash.js';
import type { Repository } from './repo.js';

/** One entry of `.git/index`: the stat data git recorded and the blob id it staged. */
export interface IndexEntry {
  path: string;
  oid: string;
  mode: number;
  ctimeS: number;
  ctimeNs: number;
  mtimeS: number;
  mtimeNs: number;
  ino: number;
  uid: number;
  gid: number;
  size: number;
  stage: number;
  /** assume-unchanged, skip-worktree or intent-to-add: git does not compare these with the disk. */
  special: boolean;
}

export interface ParsedIndex {
  version: number;
  entries: Map<string, IndexEntry>;
}

/** Thrown for an index this reader does not understand; callers fall back to hashing files. */
export class UnsupportedIndexError extends Error {}

/**
 * Parse git's index file (versions 2, 3 and 4; stage-0 entries and conflicts alike).
 * A split index (`link` extension) holds only part of the entries: it is rejected.
 */
export function parseIndex(data: Buffer, hashBytes = 20): ParsedIndex {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'DIRC') throw new UnsupportedIndexError('not a git index');
  const version = data.readUInt32BE(4);
  if (version < 2 || version > 4) throw new UnsupportedIndexError(`index version ${version}`);
  const count = data.readUInt32BE(8);
  const entries = new Map<string, IndexEntry>();
  let pos = 12;
  let previousPath = Buffer.alloc(0);
  const fixed = 40 + hashBytes + 2;
  for (let i = 0; i < count; i++) {
    const start = pos;
    if (pos + fixed > data.length) throw new UnsupportedIndexError('truncated index');
    const flags = data.readUInt16BE(pos + 40 + hashBytes);
    let special = (flags & 0x8000) !== 0;
    pos += fixed;
    if (version >= 3 && flags & 0x4000) {
      const extended = data.readUInt16BE(pos);
      if (extended & 0x6000) special = true; // skip-worktree, intent-to-add
      pos += 2;
    }
    let path: string;
    if (version === 4) {
      // Prefix compression: a varint says how many bytes to drop from the previous path.
      let byte = data[pos++]!;
      let drop = byte & 0x7f;
      while (byte & 0x80) {
        byte = data[pos++]!;
        drop = ((drop + 1) << 7) | (byte & 0x7f);
      }
      const end = data.indexOf(0, pos);
      if (end < 0) throw new UnsupportedIndexError('truncated index');
      previousPath = Buffer.concat([previousPath.subarray(0, previousPath.length - drop), data.subarray(pos, end)]);
      path = previousPath.toString('utf8');
      pos = end + 1;
    } else {
      const end = data.indexOf(0, pos);
      if (end < 0) throw new UnsupportedIndexError('truncated index');
      path = data.toString('utf8', pos, end);
      // Entries are NUL-padded to a multiple of 8 bytes (at least one NUL).
      pos = start + ((end - start + 8) & ~7);
    }
    const mode = data.readUInt32BE(start + 24);
    const stage = (flags >> 12) & 3;
    const entry: IndexEntry = {
      path,
      oid: data.toString('hex', start + 40, start + 40 + hashBytes),
      mode,
      ctimeS: data.readUInt32BE(start),
      ctimeNs: data.readUInt32BE(start + 4),
      mtimeS: data.readUInt32BE(start + 8),
      mtimeNs: data.readUInt32BE(start + 12),
      ino: data.readUInt32BE(start + 20),
      uid: data.readUInt32BE(start + 28),
      gid: data.readUInt32BE(start + 32),
      size: data.readUInt32BE(start + 36),
      stage,
      special,
    };
    // A conflicted path has stages 1–3 and no stage 0: keep one entry, marked so it is never trusted.
    if (stage !== 0) entry.special = true;
    if (stage === 0 || !entries.has(path)) entries.set(path, entry);
  }
  // Extensions follow the entries: 4-byte signature, 4-byte size.
  while (pos + 8 <= data.length - hashBytes) {
    const signature = data.toString('latin1', pos, pos + 4);
    if (signature === 'link') throw new UnsupportedIndexError('split index');
    pos += 8 + data.readUInt32BE(pos + 4);
  }
  return { version, entries };
}

const U32 = 2 ** 32;

/** Node's own arithmetic for `Stats.mtimeMs` (seconds × 1e3 + nanoseconds / 1e6): equal times give equal doubles. */
const toMs = (seconds: number, nanoseconds: number) => seconds * 1e3 + nanoseconds / 1e6;

/**
 * Whether a file's stat data matches what git recorded, so git's blob id can be trusted without
 * reading the file: git's own rule (size, mtime, ctime, inode, owner, type and exec bit; times to
 * the nanosecond when the index has them), plus the racy-git rule (a file modified in the same
 * second the index was written is not trusted) and git's guard for entries whose size was smudged to 0.
 */
export function statMatchesEntry(entry: IndexEntry, st: Stats, indexMtimeS: number): boolean {
  if (entry.special) return false;
  const type = entry.mode & 0o170000;
  if (type === 0o120000 ? !st.isSymbolicLink() : type !== 0o100000 || !st.isFile()) return false;
  if (type === 0o100000 && ((entry.mode & 0o100) !== 0) !== ((st.mode & 0o100) !== 0)) return false;
  if (st.size % U32 !== entry.size) return false;
  if (entry.size === 0 && entry.oid !== EMPTY_BLOB_OID) return false;
  const mtimeS = Math.floor(st.mtimeMs / 1000);
  if (mtimeS % U32 !== entry.mtimeS || mtimeS >= indexMtimeS) return false;
  if (entry.mtimeNs !== 0 && st.mtimeMs !== toMs(mtimeS, entry.mtimeNs)) return false;
  const ctimeS = Math.floor(st.ctimeMs / 1000);
  if (ctimeS % U32 !== entry.ctimeS) return false;
  if (entry.ctimeNs !== 0 && st.ctimeMs !== toMs(ctimeS, entry.ctimeNs)) return false;
  if (st.ino % U32 !== entry.ino) return false;
  return st.uid % U32 === entry.uid && st.gid % U32 === entry.gid;
}

/** A blob id remembered with the stat data of the file it was computed from. */
export interface KnownHash {
  oid: string;
  stamp: string;
}

export type HashResult =
  | {
      type: 'file';
      oid: string;
      /** Stat fingerprint to remember with the oid (not for ids from the index); absent when the file is too fresh to be trusted later. */
      stamp?: string;
      /** Taken from git's index without reading the file. */
      fromIndex: boolean;
    }
  | { type: 'directory' };

/** How long a file must have been left alone before its stat data may stand for its content. */
const RACY_MS = 1000;

function stampOf(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
}

/**
 * Git blob ids of work-tree files, cheaply: a tracked file whose stat data matches `.git/index`
 * takes the index's id without being read; a file whose stat data matches a `known` stamp takes
 * that id; anything else is read and hashed in process with git's blob algorithm. The index is
 * read once, on first use. Outside a repository every file is hashed.
 */
export class WorktreeHasher {
  private index: ParsedIndex | undefined | null = null;
  private indexMtimeS = 0;
  private readonly startedMs = Date.now();

  /** `repo`: the repository of the files to hash (findRepository), or undefined outside one. */
  constructor(readonly repo: Repository | undefined) {}

  /** The index's entries (undefined outside a repository or for an index this reader cannot use). */
  indexEntries(): Map<string, IndexEntry> | undefined {
    if (this.index === null) {
      this.index = undefined;
      if (this.repo) {
        const path = join(this.repo.gitDir, 'index');
        try {
          const data = readFileSync(path);
          this.indexMtimeS = Math.floor(statSync(path).mtimeMs / 1000);
          this.index = parseIndex(data, objectFormatBytes(this.repo));
        } catch (e) {
          if (!(e instanceof UnsupportedIndexError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
    return this.index?.entries;
  }

  /** The path relative to the work tree with `/` separators, or undefined outside it. */
  repoPath(absPath: string): string | undefined {
    if (!this.repo) return undefined;
    const rel = relative(this.repo.root, absPath);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return sep === '/' ? rel : rel.split(sep).join('/');
  }

  /**
   * Hash one file; undefined when it does not exist. `repoPath` (relative to the work tree, `/`-separated)
   * saves computing it from `absPath` when the caller knows it.
   */
  hash(absPath: string, known?: KnownHash, repoPath?: string): HashResult | undefined {
    const st = lstatIfPresent(absPath);
    if (!st) return undefined;
    if (st.isDirectory()) return { type: 'directory' };
    const entries = this.indexEntries();
    if (entries) {
      const path = repoPath ?? this.repoPath(absPath);
      const entry = path === undefined ? undefined : entries.get(path);
      if (entry && statMatchesEntry(entry, st, this.indexMtimeS))
        return { type: 'file', oid: entry.oid, fromIndex: true };
    }
    // A later write changes the mtime unless it lands in the same timestamp tick: an old mtime is safe to remember.
    const stable = st.mtimeMs + RACY_MS < this.startedMs;
    const stamp = stable ? stampOf(st) : undefined;
    if (known && stamp !== undefined && known.stamp === stamp)
      return { type: 'file', oid: known.oid, stamp, fromIndex: false };
    const oid = hashFileAsBlob(absPath, st);
    if (oid === undefined) return undefined;
    return { type: 'file', oid, stamp, fromIndex: false };
  }
}

function objectFormatBytes(repo: Repository): number {
  try {
    return /^\s*objectformat\s*=\s*sha256\s*$/im.test(readFileSync(join(repo.commonDir, 'config'), 'utf8')) ? 32 : 20;
  } catch {
    return 20;
  }
}

/** What HEAD points at, read from the ref files (no git process): the branch, if any, and the commit, if any. */
export function readHead(repo: Repository): { branch?: string; commit?: string } {
  let head: string;
  try {
    head = readFileSync(join(repo.gitDir, 'HEAD'), 'utf8').trim();
  } catch {
    return {};
  }
  if (/^[0-9a-f]{40,64}$/.test(head)) return { commit: head };
  const m = /^ref:\s*(\S+)$/.exec(head);
  if (!m) return {};
  const ref = m[1]!;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  return { branch, commit: resolveRef(repo, ref) };
}

function resolveRef(repo: Repository, ref: string, depth = 0): string | undefined {
  for (const dir of ref.startsWith('refs/') ? [repo.commonDir] : [repo.gitDir, repo.commonDir]) {
    try {
      const text = readFileSync(join(dir, ref), 'utf8').trim();
      const sym = /^ref:\s*(\S+)$/.exec(text);
      if (sym) return depth < 5 ? resolveRef(repo, sym[1]!, depth + 1) : undefined;
      if (/^[0-9a-f]{40,64}$/.test(text)) return text;
    } catch {
      // not a loose ref: look in packed-refs
    }
  }
  try {
    for (const line of readFileSync(join(repo.commonDir, 'packed-refs'), 'utf8').split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0 && line.slice(space + 1) === ref && !line.startsWith('#')) return line.slice(0, space);
    }
  } catch {
    // no packed refs: an unborn branch
  }
  return undefined;
}
