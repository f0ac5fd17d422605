/**
 * The outputs the clean filter strips, kept per clone so that the smudge side can give them back.
 *
 * git stores what the clean filter returns, so without this `git stash` (which stores the working tree through the
 * filter and then checks out HEAD) would silently drop every output in the working copy, and so would switching
 * branches back and forth. Each time the filter strips a notebook, the original is kept under the digest of the
 * stripped version; when git later writes that exact blob to the working tree, the original comes back. A blob
 * nobody stripped here (a teammate's commit) has no entry and is written as it is. The caller checks that the
 * original strips to the blob again before using it, so a stale or damaged entry is never used.
 *
 * Entries live in `<git common dir>/nbpipe/outputs/`, gzip-compressed; the least recently used go first once there
 * are more than MAX_ENTRIES.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const MAX_ENTRIES = 2000;

export class OutputCache {
  private ready = false;
  constructor(readonly dir: string) {}

  /** The cache of the repository whose git common directory is `commonDir`. */
  static forGitDir(commonDir: string): OutputCache {
    return new OutputCache(join(commonDir, 'nbpipe', 'outputs'));
  }

  private key(stripped: Uint8Array): string {
    return createHash('sha256').update(stripped).digest('hex');
  }

  /** Keep `original` as what `stripped` came from. Failures only cost the feature, never the commit. */
  remember(stripped: Uint8Array, original: Uint8Array): void {
    try {
      if (!this.ready) {
        mkdirSync(this.dir, { recursive: true });
        this.prune();
        this.ready = true;
      }
      const file = join(this.dir, this.key(stripped));
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, gzipSync(original, { level: 1 }));
      renameSync(tmp, file);
    } catch {
      // A read-only or full disk: outputs are then not restored, as without the cache.
    }
  }

  /** What `blob` was stripped from here, if known (unverified: strip it and compare before use). */
  recall(blob: Uint8Array): Buffer | undefined {
    const file = join(this.dir, this.key(blob));
    try {
      const original = gunzipSync(readFileSync(file));
      const now = new Date();
      utimesSync(file, now, now);
      return original;
    } catch {
      return undefined;
    }
  }

  /** Drop the least recently used entries beyond MAX_ENTRIES (down to three quarters of it). */
  private prune(): void {
    const names = readdirSync(this.dir);
    if (names.length <= MAX_ENTRIES) return;
    const byAge = names
      .map((name) => {
        try {
          return { name, used: statSync(join(this.dir, name)).mtimeMs };
        } catch {
          return { name, used: 0 };
        }
      })
      .sort((a, b) => a.used - b.used);
    for (const { name } of byAge.slice(0, names.length - Math.floor((MAX_ENTRIES * 3) / 4))) rmSync(join(this.dir, name), { force: true });
  }
}
