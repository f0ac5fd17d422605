/**
 * The outputs the clean filter strips, kept per clone so that the smudge side can give them back.
 *
 * git stores what the clean filter returns, so without this `git stash` (which stores the working tree through the
 * filter and then checks out HEAD) would silently drop every output in the working copy, and so would switching
 * branches back and forth, merging or rebasing. Each time the filter strips a notebook, the original is kept under
 * the notebook's path and the digest of the stripped version: two notebooks with the same code never share an entry.
 * When git later writes that exact blob to that path, the original comes back (`recall`); for a blob nobody stripped
 * here (a merge result) the filter restores cell by cell from the path's most recent originals (`recent`). The
 * caller checks that what it restores strips to the blob again, so a stale or damaged entry is never used.
 *
 * Entries live in `<git common dir>/nbpipe/outputs/`, gzip-compressed, one file per entry. The least recently used
 * go first once they take more than `maxBytes` or number more than `maxEntries`. Every failure (a full or
 * read-only disk, a damaged entry) only costs the feature: it never fails the git command.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface OutputCacheBounds {
  /** Total size of the compressed entries. */
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_OUTPUT_CACHE_BOUNDS: OutputCacheBounds = { maxBytes: 256 * 1024 * 1024, maxEntries: 2000 };

/** How many originals of one path `recent` offers: enough for the intermediate versions a rebase writes. */
const RECENT_PER_PATH = 16;

interface Entry {
  name: string;
  size: number;
  used: number;
}

const digest = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export class OutputCache {
  /** The entries' total size as last counted plus what was written since; undefined until first counted. */
  private bytes?: number;
  private count = 0;

  constructor(
    readonly dir: string,
    readonly bounds: OutputCacheBounds = DEFAULT_OUTPUT_CACHE_BOUNDS,
  ) {}

  /** The cache of the repository whose git common directory is `commonDir`. */
  static forGitDir(commonDir: string, bounds?: OutputCacheBounds): OutputCache {
    return new OutputCache(join(commonDir, 'nbpipe', 'outputs'), bounds);
  }

  /** Entry names start with the path's digest, so that one path's entries are found by listing. */
  private pathPrefix(path: string): string {
    return `${digest(path).slice(0, 16)}-`;
  }

  private entryName(path: string, stripped: Uint8Array): string {
    return this.pathPrefix(path) + digest(stripped);
  }

  /** Keep `original` as what `stripped` came from at `path`. */
  remember(path: string, stripped: Uint8Array, original: Uint8Array): void {
    try {
      const compressed = gzipSync(original, { level: 1 });
      if (compressed.length > this.bounds.maxBytes) return;
      if (this.bytes === undefined) {
        mkdirSync(this.dir, { recursive: true });
        this.prune();
      }
      const file = join(this.dir, this.entryName(path, stripped));
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, compressed);
      renameSync(tmp, file);
      this.bytes! += compressed.length;
      this.count++;
      if (this.bytes! > this.bounds.maxBytes || this.count > this.bounds.maxEntries) this.prune();
    } catch {
      // A read-only or full disk: outputs are then not restored, as without the cache.
    }
  }

  /** What `blob` was stripped from at `path`, if known (unverified: strip it and compare before use). */
  recall(path: string, blob: Uint8Array): Buffer | undefined {
    const file = join(this.dir, this.entryName(path, blob));
    const original = this.read(file);
    if (original) {
      try {
        const now = new Date();
        utimesSync(file, now, now);
      } catch {
        // Only the eviction order suffers.
      }
    }
    return original;
  }

  /** The originals kept for `path`, most recently written or recalled first (unverified, damaged ones skipped). */
  *recent(path: string): Generator<Buffer> {
    const prefix = this.pathPrefix(path);
    const entries = this.list().filter((e) => e.name.startsWith(prefix) && !e.name.endsWith('.tmp'));
    entries.sort((a, b) => b.used - a.used);
    for (const { name } of entries.slice(0, RECENT_PER_PATH)) {
      const original = this.read(join(this.dir, name));
      if (original) yield original;
    }
  }

  private read(file: string): Buffer | undefined {
    try {
      return gunzipSync(readFileSync(file));
    } catch {
      return undefined;
    }
  }

  private list(): Entry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      try {
        const stat = statSync(join(this.dir, name));
        return [{ name, size: stat.size, used: stat.mtimeMs }];
      } catch {
        return []; // Removed meanwhile by another git command's filter.
      }
    });
  }

  /**
   * Count the entries and, beyond a bound, drop the least recently used (down to three quarters of the bounds, so
   * that the next writes do not prune again at once). Left-over temporary files of interrupted writes age out too.
   */
  private prune(): void {
    const entries = this.list().sort((a, b) => a.used - b.used);
    let bytes = entries.reduce((sum, e) => sum + e.size, 0);
    let count = entries.length;
    if (bytes > this.bounds.maxBytes || count > this.bounds.maxEntries) {
      const targetBytes = Math.floor((this.bounds.maxBytes * 3) / 4);
      const targetCount = Math.floor((this.bounds.maxEntries * 3) / 4);
      for (const entry of entries) {
        if (bytes <= targetBytes && count <= targetCount) break;
        rmSync(join(this.dir, entry.name), { force: true });
        bytes -= entry.size;
        count--;
      }
    }
    this.bytes = bytes;
    this.count = count;
  }
}
