/**
 * Past git's size shortcut (README, "`nbpipe strip`, the git filter, hooks"). When a file's size differs from the size
 * its index entry recorded, git reports it modified without running the clean filter; only an entry whose recorded
 * size is 0, as after read-tree, gets its content compared. So a change the clean filter removes entirely (a
 * notebook's outputs) that also changes the file's size shows as modified in `git status`, and `git checkout` of
 * another branch refuses to overwrite it, although nothing would be committed.
 */
import { GitError, gitOutput, type Repository } from './repo.js';
import { WorktreeHasher, type IndexEntry } from './git-index.js';

const nulFields = (text: string) => text.split('\0').filter((field) => field !== '');

/**
 * Let git compare, through the clean filter, the content of every file with `filter=<filter>` it sees as changed: their
 * index entries are recorded again with the same mode and blob id but no stat data (size 0), then git refreshes the index,
 * recording the stat data of those whose content matches. Nothing is staged and no blob id changes; a file that really
 * changed stays modified. Returns the paths (relative to the work tree) git no longer sees as changed.
 */
export async function refreshFilteredFiles(repo: Repository, filter: string): Promise<string[]> {
  const git = (args: string[], input?: string) => gitOutput(args, { cwd: repo.root, input });
  const changed = nulFields(await git(['diff-files', '--name-only', '-z']));
  if (changed.length === 0) return [];
  const attributes = nulFields(await git(['check-attr', '-z', '--stdin', 'filter'], changed.join('\0')));
  const filtered = new Set<string>();
  for (let i = 0; i + 2 < attributes.length; i += 3) if (attributes[i + 2] === filter) filtered.add(attributes[i]!);
  const entries = new WorktreeHasher(repo).indexEntries();
  if (!entries) throw new GitError('this index format (a split index) is not supported');
  // Conflicts, intent-to-add, assume-unchanged and skip-worktree entries are git's own business: left alone.
  const candidates = [...filtered]
    .map((path) => entries.get(path))
    .filter((entry): entry is IndexEntry => entry !== undefined && !entry.special);
  if (candidates.length === 0) return [];
  await git(
    ['update-index', '-z', '--index-info'],
    candidates.map((e) => `${e.mode.toString(8)} ${e.oid}\t${e.path}\0`).join(''),
  );
  await git(['update-index', '-q', '--refresh']);
  const stillChanged = new Set(
    nulFields(await git(['diff-files', '--name-only', '-z', '--', ...candidates.map((e) => `:(literal)${e.path}`)])),
  );
  return candidates.map((e) => e.path).filter((path) => !stillChanged.has(path));
}
