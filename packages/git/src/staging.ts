/**
 * The git index as a pre-commit hook sees it: which paths are staged, their staged bytes, and staging new bytes
 * without touching the working tree (so a partially staged file keeps its unstaged edits).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { IndexEntry } from './git-index.js';
import { GitError, runGit, type Repository } from './repo.js';

/** What a hook needs of a stage-0 index entry: its blob and its file mode. */
export type StagedEntry = Pick<IndexEntry, 'mode' | 'oid'>;

async function git(repo: Repository, args: string[], input?: string | Uint8Array): Promise<Buffer> {
  const r = await runGit(args, { cwd: repo.root, input });
  if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${r.stderr || `exit ${r.code}`}`);
  return r.stdout;
}

const nulList = (out: Buffer) => out.toString('utf8').split('\0').filter(Boolean);

/** Paths (relative to the root) added, copied, modified or renamed-to in the index compared with HEAD. */
export async function stagedChanges(repo: Repository): Promise<string[]> {
  return nulList(await git(repo, ['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=ACM']));
}

/** Index entries of these paths (unmerged paths are left out). */
export async function indexEntries(repo: Repository, paths: readonly string[]): Promise<Map<string, StagedEntry>> {
  const entries = new Map<string, StagedEntry>();
  if (paths.length === 0) return entries;
  for (const line of nulList(await git(repo, ['ls-files', '-s', '-z', '--', ...paths.map((p) => `:(literal)${p}`)]))) {
    const tab = line.indexOf('\t');
    const [mode, oid, stage] = line.slice(0, tab).split(' ');
    if (stage === '0') entries.set(line.slice(tab + 1), { mode: parseInt(mode!, 8), oid: oid! });
  }
  return entries;
}

/** The contents of blobs, by object id. */
export async function readBlobs(repo: Repository, oids: readonly string[]): Promise<Map<string, Buffer>> {
  const blobs = new Map<string, Buffer>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return blobs;
  const out = await git(repo, ['cat-file', '--batch'], unique.map((oid) => `${oid}\n`).join(''));
  let at = 0;
  for (const oid of unique) {
    const newline = out.indexOf(0x0a, at);
    const header = out.subarray(at, newline).toString('utf8').split(' ');
    at = newline + 1;
    if (header[1] !== 'blob') throw new GitError(`git cat-file: ${oid} is not a blob`);
    const size = Number(header[2]);
    blobs.set(oid, out.subarray(at, at + size));
    at += size + 1;
  }
  return blobs;
}

/**
 * Write `content` as a blob and point the index entry of `path` at it; the working tree is not touched. The content
 * goes through the path's git attributes (clean filter, eol) first, as with `git add`.
 */
export async function stageContent(
  repo: Repository,
  path: string,
  content: string | Uint8Array,
  mode = 0o100644,
): Promise<string> {
  const oid = (await git(repo, ['hash-object', '-w', '--stdin', `--path=${path}`], content)).toString('utf8').trim();
  await git(repo, ['update-index', '--add', '--cacheinfo', `${mode.toString(8)},${oid},${path}`]);
  return oid;
}

/** The blob id `git add` would give the working-tree file `path` (its clean filter applied), without writing it. */
export async function worktreeBlobId(repo: Repository, path: string): Promise<string> {
  return (await git(repo, ['hash-object', `--path=${path}`, '--', path])).toString('utf8').trim();
}

/** The value of one attribute for each path (`unspecified`, `set`, `unset` or the value). */
export async function attributeOf(
  repo: Repository,
  attribute: string,
  paths: readonly string[],
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  if (paths.length === 0) return values;
  const fields = nulList(await git(repo, ['check-attr', '-z', attribute, '--', ...paths]));
  for (let k = 0; k + 2 < fields.length; k += 3) values.set(fields[k]!, fields[k + 2]!);
  return values;
}

/** Paths git could not merge and that are not yet resolved (`git add`ed): what `git diff --diff-filter=U` lists. */
export async function unmergedPaths(repo: Repository): Promise<string[]> {
  return nulList(await git(repo, ['diff', '--name-only', '-z', '--diff-filter=U']));
}

/** Tracked paths matching a pathspec (e.g. `*.ipynb`, which git matches in every folder). */
export async function trackedPaths(repo: Repository, pathspec: string): Promise<string[]> {
  return nulList(await git(repo, ['ls-files', '-z', '--', pathspec]));
}

/**
 * Paths that held a merge conflict and were resolved with `git add` since the last checkout or reset: git keeps their
 * conflicted stages in the index (its resolve-undo record) for `git checkout -m`.
 */
export async function resolvedConflictPaths(repo: Repository): Promise<Set<string>> {
  const paths = new Set<string>();
  for (const line of nulList(await git(repo, ['ls-files', '--resolve-undo', '-z'])))
    paths.add(line.slice(line.indexOf('\t') + 1));
  return paths;
}

/**
 * The git commands that stop on conflicts, by the file git keeps while it waits, and the commands that finish each.
 * `git rebase --continue` commits without running the pre-commit hook, so a rebase is finished by a commit first.
 */
const OPERATIONS = [
  { file: 'MERGE_HEAD', finish: 'git commit --no-edit' },
  { file: 'CHERRY_PICK_HEAD', finish: 'git cherry-pick --continue' },
  { file: 'REVERT_HEAD', finish: 'git revert --continue' },
  { file: 'REBASE_HEAD', finish: 'git commit --no-edit && git rebase --continue' },
];

/** The command that finishes the merge, cherry-pick, revert or rebase under way; undefined when none is. */
export async function operationInProgress(repo: Repository): Promise<{ finish: string } | undefined> {
  for (const { file, finish } of OPERATIONS) {
    const found = await fs.stat(join(repo.gitDir, file)).then(
      () => true,
      () => false,
    );
    if (found) return { finish };
  }
  return undefined;
}
