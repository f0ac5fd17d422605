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
  written: number;
}

const digest = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The suffix of entries the smudge side made up (see `rememberRestored`). */
const RESTORED = '-restored';

export class OutputCache {
  /** The entries' total size as last counted plus what was written since; undefined until first counted. */
  private bytes?: number;
  private count = 0;
  /** The entries as listed for `recent`, kept until this process writes: a checkout smudges many notebooks. */
  private listing?: Entry[];

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

  private entryFile(path: string, stripped: Uint8Array): string {
    return join(this.dir, this.pathPrefix(path) + digest(stripped));
  }

  /** Keep `original`, the user's working copy, as what `stripped` came from at `path`. */
  remember(path: string, stripped: Uint8Array, original: Uint8Array): void {
    const file = this.entryFile(path, stripped);
    this.write(file, original, [file, file + RESTORED]);
  }

  /**
   * Keep `restored`, which the smudge side made from `blob` and this path's originals, so that checking `blob` out
   * again gives it back exactly. It is not the user's work, so `recent` never offers it.
   */
  rememberRestored(path: string, blob: Uint8Array, restored: Uint8Array): void {
    const file = this.entryFile(path, blob);
    this.write(file + RESTORED, restored, [file, file + RESTORED]);
  }

  /**
   * Write an entry unless one of `same` already holds this content (git cleans a file again whenever its timestamps
   * look racy, e.g. right after checking it out): then that one is only marked as used, so that cleaning what the
   * smudge side wrote never makes it new work.
   */
  private write(file: string, content: Uint8Array, same: readonly string[]): void {
    try {
      const compressed = gzipSync(content, { level: 1 });
      if (compressed.length > this.bounds.maxBytes) return;
      if (this.bytes === undefined) {
        mkdirSync(this.dir, { recursive: true });
        this.prune();
      }
      const existing = same.find((f) => this.holds(f, compressed));
      if (existing) return this.markUsed(existing);
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, compressed);
      renameSync(tmp, file);
      this.listing = undefined;
      this.bytes! += compressed.length;
      this.count++;
      if (this.bytes! > this.bounds.maxBytes || this.count > this.bounds.maxEntries) this.prune();
    } catch {
      // A read-only or full disk: outputs are then not restored, as without the cache.
    }
  }

  /** Whether `file` holds `compressed` (gzip's output is the same for the same input). */
  private holds(file: string, compressed: Buffer): boolean {
    try {
      return readFileSync(file).equals(compressed);
    } catch {
      return false;
    }
  }

  /** What `blob` was stripped from (or restored to) at `path`, if known (unverified: strip it and compare before use). */
  recall(path: string, blob: Uint8Array): Buffer | undefined {
    const file = this.entryFile(path, blob);
    for (const candidate of [file, file + RESTORED]) {
      const original = this.read(candidate);
      if (original) {
        this.markUsed(candidate);
        return original;
      }
    }
    return undefined;
  }

  /**
   * Whether `content` is what this clone kept or restored for `stripped` at any path. textconv, handed a temporary
   * copy of a blob written through smudge, knows neither the blob nor its path: it only needs to know whether
   * smudge made this copy.
   */
  keeps(stripped: Uint8Array, content: Uint8Array): boolean {
    const suffix = `-${digest(stripped)}`;
    try {
      return readdirSync(this.dir).some(
        (name) =>
          (name.endsWith(suffix) || name.endsWith(suffix + RESTORED)) &&
          this.read(join(this.dir, name))?.equals(content),
      );
    } catch {
      return false;
    }
  }

  /** Access time is last use, for eviction; modification time stays when the content was written, for `recent`. */
  private markUsed(file: string): void {
    try {
      utimesSync(file, new Date(), statSync(file).mtime);
    } catch {
      // Only the eviction order suffers.
    }
  }

  /**
   * The user's originals kept for `path`, most recently written first (unverified, damaged ones skipped). Writing,
   * not use, orders them: a rebase checks out the upstream version before it replays the user's commits, and a
   * version checked out again must not hide the outputs of the user's more recent work.
   */
  *recent(path: string): Generator<Buffer> {
    const prefix = this.pathPrefix(path);
    this.listing ??= this.list();
    const entries = this.listing.filter(
      (e) => e.name.startsWith(prefix) && !e.name.endsWith('.tmp') && !e.name.endsWith(RESTORED),
    );
    entries.sort((a, b) => b.written - a.written);
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
        return [{ name, size: stat.size, used: Math.max(stat.atimeMs, stat.mtimeMs), written: stat.mtimeMs }];
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
    this.listing = undefined;
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
