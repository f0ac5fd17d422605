import { createHash } from 'node:crypto';
import { readdirSync, realpathSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import type { HashResult, WorktreeHasher } from '@nbpipe/git';
import type { StateData } from './state.js';

const MAGIC = /[*?[\]{}()!+@]/;
const SKIPPED_DIRS = new Set(['.git', '.nbpipe']);

/**
 * Content hashes of the project's files, as git blob ids: from git's index when the stat data
 * matches, from the state's stat cache when that matches, else read and hashed. Also expands
 * `inputs` globs. One instance per command; results are memoised until `forget`.
 */
export class ProjectFiles {
  private readonly memo = new Map<string, HashResult | undefined>();
  private readonly walks = new Map<string, string[]>();
  private matcher: ((glob: string) => (path: string) => boolean) | undefined;
  private readonly touched = new Set<string>();
  /** Whether the stat cache gained or lost entries (worth saving). */
  cacheChanged = false;

  /** The root relative to the work tree (`''` at the top, `sub/dir/` below it), or undefined outside a repository. */
  private readonly repoPrefix: string | undefined;

  constructor(
    readonly root: string,
    readonly hasher: WorktreeHasher,
    private readonly cache: StateData['files'],
  ) {
    const repoRoot = hasher.repo?.root;
    if (repoRoot !== undefined) {
      // git reports the work tree's real path: compare real paths (the project may be reached through a symlink).
      const rel = relative(repoRoot, realpathSync(root)).split(sep).join('/');
      this.repoPrefix = rel === '' ? '' : rel.startsWith('..') ? undefined : `${rel}/`;
    }
  }

  /** Hash of a file (relative to the root); undefined when missing. */
  hash(rel: string): HashResult | undefined {
    if (this.memo.has(rel)) return this.memo.get(rel);
    this.touched.add(rel);
    const cached = this.cache[rel];
    const abs = rel.startsWith('../') ? resolve(this.root, rel) : `${this.root}/${rel}`;
    const repoPath = this.repoPrefix !== undefined && !rel.startsWith('../') ? this.repoPrefix + rel : undefined;
    const result = this.hasher.hash(abs, cached && { oid: cached[0], stamp: cached[1] }, repoPath);
    if (result?.type === 'file' && !result.fromIndex && result.stamp !== undefined) {
      if (!cached || cached[0] !== result.oid || cached[1] !== result.stamp) {
        this.cache[rel] = [result.oid, result.stamp];
        this.cacheChanged = true;
      }
    } else if (cached) {
      delete this.cache[rel];
      this.cacheChanged = true;
    }
    this.memo.set(rel, result);
    return result;
  }

  /** A file's blob id, `tree:<hash>` for a folder (over its files' paths and ids), undefined when missing. */
  digest(rel: string): string | undefined {
    const h = this.hash(rel);
    if (!h) return undefined;
    if (h.type === 'file') return h.oid;
    const hash = createHash('sha1');
    for (const file of this.walk(rel)) {
      const oid = this.hash(file);
      if (oid?.type === 'file') hash.update(`${posix.relative(rel, file)}\0${oid.oid}\n`);
    }
    return `tree:${hash.digest('hex')}`;
  }

  /** Drop stat-cache entries of files this command never looked at (after a full run, they belong to nothing). */
  pruneCache(): void {
    for (const path of Object.keys(this.cache))
      if (!this.touched.has(path)) {
        delete this.cache[path];
        this.cacheChanged = true;
      }
  }

  /** Drop memoised results for paths a task may have rewritten (its products), folders included. */
  forget(paths: string[]): void {
    for (const p of paths) {
      this.memo.delete(p);
      this.walks.delete(p);
      const prefix = p + '/';
      for (const key of this.memo.keys()) if (key.startsWith(prefix)) this.memo.delete(key);
    }
  }

  /** Load the glob matcher when some task has glob inputs (picomatch is only imported then). */
  async prepareGlobs(patterns: Iterable<string>): Promise<void> {
    if (this.matcher) return;
    for (const p of patterns)
      if (MAGIC.test(p)) {
        const picomatch = (await import('picomatch')).default;
        const compiled = new Map<string, (path: string) => boolean>();
        this.matcher = (glob) => {
          let isMatch = compiled.get(glob);
          if (!isMatch) compiled.set(glob, (isMatch = picomatch(glob, { dot: false })));
          return isMatch;
        };
        return;
      }
  }

  /** Whether a path (relative to the root) is one of the patterns' files: a glob match, the named file, or a file in the named folder. */
  matches(patterns: string[], path: string): boolean {
    return patterns.some((pattern) => {
      if (!MAGIC.test(pattern)) return path === pattern || path.startsWith(pattern + '/');
      if (!this.matcher) throw new Error('prepareGlobs() was not awaited');
      return this.matcher(pattern)(path);
    });
  }

  /**
   * Files (relative to the root, sorted) matching the patterns: a pattern without glob characters
   * names a file or folder (kept even when missing, so its absence counts); a glob is matched
   * against the files under its static base folder.
   */
  expand(patterns: string[]): string[] {
    const out = new Set<string>();
    for (const pattern of patterns) {
      if (!MAGIC.test(pattern)) {
        out.add(pattern);
        continue;
      }
      if (!this.matcher) throw new Error('prepareGlobs() was not awaited');
      const base = staticBase(pattern);
      const isMatch = this.matcher(pattern);
      for (const file of this.walk(base)) if (isMatch(file)) out.add(file);
    }
    return [...out].sort();
  }

  /** Every file under a folder (relative to the root), skipping .git and .nbpipe; memoised. */
  private walk(base: string): string[] {
    const known = this.walks.get(base);
    if (known) return known;
    const files: string[] = [];
    const visit = (rel: string) => {
      let entries;
      try {
        entries = readdirSync(rel === '' ? this.root : join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) visit(path);
        } else files.push(path);
      }
    };
    visit(base === '.' ? '' : base);
    files.sort();
    this.walks.set(base, files);
    return files;
  }
}

/** The folder part of a glob before its first magic segment (`src/**\/*.py` → `src`). */
function staticBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (MAGIC.test(part)) break;
    fixed.push(part);
  }
  return fixed.length ? fixed.join('/') : '.';
}
