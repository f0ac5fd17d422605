/**
 * The content git means when it hands a file to the diff driver or textconv. git does not always hand over the blob
 * itself: for a blob equal to the index entry of a work-tree file whose stat data matches, it passes the work-tree file
 * (outputs and all, never cleaned), and any other blob it writes to a temporary file through the filter's smudge side,
 * which gives this clone's outputs back (README, "git's drivers"). Without this, `git show`, `log -p` and
 * `diff A B` would show outputs that were never committed. In both cases the blob is what the clean filter makes of
 * the file, so the drivers strip the file again when that is what gives the blob.
 */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Stripper } from '@nbpipe/strip/strip';
import { loadConfig } from './config.js';

/**
 * What the configuration search from `cwd` depends on: the folders it looks in (a configuration file created, removed
 * or renamed changes its folder's time), up to the first with a package.json or package.yaml (the project's root, where
 * the search stops), that file (its `nbpipe` key), and the file found.
 */
function configSearchStamp(cwd: string, found?: string): number[] {
  const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  const times: number[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    const packageFile = mtime(join(dir, 'package.json')) ?? mtime(join(dir, 'package.yaml'));
    times.push(mtime(dir) ?? 0, packageFile ?? 0);
    if (packageFile !== undefined || dirname(dir) === dir) break;
  }
  if (found) times.push(mtime(found) ?? 0);
  return times;
}

/** A change within this long of the search may have been missed by it (as git's racily clean entries). */
const FRESH_MS = 2000;

/**
 * The project's stripper per folder, kept while its configuration search would find the same: the drivers server
 * answers every file of a git command, and the search costs several times a strip. Undefined: no configuration that
 * can be read, so no stripping (the filter then commits notebooks unchanged).
 */
const strippers = new Map<string, { stamp: string; found?: string; stripper: Stripper | undefined }>();

async function projectStripper(cwd: string): Promise<Stripper | undefined> {
  const known = strippers.get(cwd);
  if (known && known.stamp === configSearchStamp(cwd, known.found).join()) return known.stripper;
  let found: string | undefined;
  let stripper: Stripper | undefined;
  try {
    const [{ createStripper }, loaded] = await Promise.all([import('@nbpipe/strip/strip'), loadConfig(cwd)]);
    found = loaded.filepath;
    stripper = createStripper(loaded.config.strip as Parameters<typeof createStripper>[0]);
  } catch {
    stripper = undefined;
  }
  const stamp = configSearchStamp(cwd, found);
  if (Math.max(...stamp) < Date.now() - FRESH_MS) strippers.set(cwd, { stamp: stamp.join(), found, stripper });
  return stripper;
}

/** What the clean filter commits for `bytes` (the project's strip settings), or undefined when it cannot strip them. */
async function cleaned(bytes: Buffer, path: string, cwd: string): Promise<Buffer | undefined> {
  try {
    const stripper = await projectStripper(cwd);
    return stripper && Buffer.from(stripper.strip(bytes, path).text, 'utf8');
  } catch {
    // Not a notebook the filter strips: it commits such files unchanged.
    return undefined;
  }
}

/** A blob id git names (external-diff arguments): full-length hex, not the all-zero id of content git has not hashed. */
export const isKnownOid = (hex: string | undefined): hex is string =>
  hex !== undefined && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(hex) && !/^0+$/.test(hex);

/** `bytes` when they are blob `oid`, or the clean filter's result for them when that is; else undefined. */
async function asBlob(bytes: Buffer, oid: string, path: string, cwd: string): Promise<Buffer | undefined> {
  const { gitBlobHash } = await import('@nbpipe/git');
  if (gitBlobHash(bytes) === oid) return bytes;
  const stripped = await cleaned(bytes, path, cwd);
  return stripped && gitBlobHash(stripped) === oid ? stripped : undefined;
}

/**
 * The content of blob `oid`, given the file git handed the diff driver for it (`path`: the repository path). The file
 * itself when it is the blob (or git names no blob: a work-tree side), else the file as the clean filter strips it, else
 * (strip settings changed since the commit, say) the blob read from git.
 */
export async function blobContent(bytes: Buffer, oid: string | undefined, path: string, cwd: string): Promise<Buffer> {
  if (!isKnownOid(oid)) return bytes;
  const content = await asBlob(bytes, oid, path, cwd);
  if (content) return content;
  const { runGit } = await import('@nbpipe/git');
  const blob = await runGit(['cat-file', 'blob', oid], { cwd });
  return blob.code === 0 ? blob.stdout : bytes;
}

/**
 * The content textconv should show for `file` (relative to `cwd`), which may stand for a blob other than its bytes.
 * A tracked work-tree file whose stat data matches the index is what git passes for the index's blob: that blob. One
 * that is racily clean (git compared it through the filter) or really changed: the index's blob when the file or the
 * file stripped is that blob, else the file as it is. Any other file is a temporary copy of a blob written through
 * smudge: it stands for its stripped form exactly when smudge made it, that is when this clone's output cache gives
 * it back for that form.
 */
export async function textconvContent(bytes: Buffer, file: string, cwd: string): Promise<Buffer> {
  const { repositoryAt, WorktreeHasher } = await import('@nbpipe/git');
  const repo = repositoryAt(cwd);
  if (!repo) return bytes;
  const hasher = new WorktreeHasher(repo);
  const absPath = resolve(cwd, file);
  const repoPath = hasher.repoPath(absPath);
  const entry = repoPath === undefined ? undefined : hasher.indexEntries()?.get(repoPath);
  if (entry && entry.stage === 0) {
    const found = hasher.hash(absPath, undefined, entry.path);
    if (found?.type === 'file' && found.fromIndex) return blobContent(bytes, entry.oid, entry.path, cwd);
    return (await asBlob(bytes, entry.oid, entry.path, cwd)) ?? bytes;
  }
  const stripped = await cleaned(bytes, file, cwd);
  if (!stripped || stripped.equals(bytes)) return bytes;
  const { OutputCache } = await import('@nbpipe/git/output-cache');
  return OutputCache.forGitDir(repo.commonDir).keeps(stripped, bytes) ? stripped : bytes;
}
