/**
 * `nbpipe pre-commit`: make what is about to be committed consistent, working on the staged blobs only, so that a
 * partially staged file commits exactly its staged part and keeps its unstaged edits.
 *
 * 1. Pairs: for each staged member of a pair (a .ipynb and its text versions), the pair is planned from the staged
 *    contents; the members that must change are staged. A member without unstaged edits is also rewritten in the
 *    working tree (a .ipynb there keeps its outputs); one with unstaged edits is left alone there. A pair whose
 *    members were both edited in ways that disagree stops the commit.
 * 2. Stripping: staged notebooks that the nbpipe git filter does not already clean are stripped in the index; the
 *    working tree keeps its outputs, as with the filter.
 */
import { promises as fs } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import {
  attributeOf,
  getEffectiveGitConfig,
  indexEntries,
  readBlobs,
  runGit,
  stageContent,
  stagedChanges,
  worktreeBlobId,
  writeFileAtomic,
  type Repository,
} from '@nbpipe/git';
import { createStripper, type StripOptions } from '@nbpipe/strip';
import {
  SettingsCache,
  SyncRecord,
  conflictsIn,
  gitConflicts,
  lookUpPair,
  planLookedUp,
  planPair,
  settleConflicts,
  withoutUnreadableNotebooks,
  type MemberConflicts,
  type MemberReader,
  type ProjectPairing,
} from '@nbpipe/sync';

export interface PreCommitOptions extends ProjectPairing {
  /** Strip staged notebooks the git filter does not clean (default true). */
  strip?: boolean;
  stripOptions?: StripOptions;
  /** Sync staged members of pairs (default true). */
  sync?: boolean;
}

export interface PreCommitReport {
  /** Paths (relative to the root) whose staged version was stripped. */
  stripped: string[];
  /** Pairs brought in step: the member taken as source and the members staged. */
  synced: { source: string; staged: string[] }[];
  /**
   * What stops the commit: a pair whose members were edited in ways that disagree (`disagree`); a notebook or pair
   * member that still holds merge conflicts, or a pair resolved differently on each side (`conflicted`, the message
   * names the commands that finish).
   */
  conflicts: { kind: 'disagree' | 'conflicted'; paths: string[]; message: string }[];
  /** Non-fatal problems (a notebook that cannot be read is committed as it is), one line each. */
  warnings: string[];
}

const isNotebookPath = (path: string) => path.endsWith('.ipynb') || path.endsWith('.zpln');

/** Whether git runs nbpipe's clean filter on these paths, by path. */
async function filteredByNbpipe(repo: Repository, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0 || !(await getEffectiveGitConfig(repo.root, 'filter.nbpipe.process'))) return new Set();
  const filters = await attributeOf(repo, 'filter', paths);
  return new Set(paths.filter((p) => filters.get(p) === 'nbpipe'));
}

export async function runPreCommit(repo: Repository, options: PreCommitOptions = {}): Promise<PreCommitReport> {
  const report: PreCommitReport = { stripped: [], synced: [], conflicts: [], warnings: [] };
  // Whatever an earlier run left for post-commit belongs to a commit that did not happen.
  await fs.rm(restageListPath(repo), { force: true });
  const staged = await stagedChanges(repo);
  if (staged.length === 0) return report;
  const stagedHere = new Map<string, string>();
  const stage = async (path: string, content: string | Uint8Array, mode?: number) =>
    stagedHere.set(path, await stageContent(repo, path, content, mode));
  await stripAndSync(repo, staged, options, report, stage);
  if (stagedHere.size > 0 && report.conflicts.length === 0 && usesTemporaryIndex(repo)) {
    await fs.mkdir(dirname(restageListPath(repo)), { recursive: true });
    await writeFileAtomic(restageListPath(repo), JSON.stringify(Object.fromEntries(stagedHere)) + '\n');
  }
  return report;
}

/**
 * `git commit -- <paths>` (and `--only`) commits a temporary index built for the occasion: what the hook stages there
 * is committed, but the repository's own index keeps its older entries, and `git status` then shows the synced
 * partner or the stripped notebook as changed. The hook lists what it staged, and the post-commit hook
 * (restageAfterPartialCommit) brings the index in line with the commit.
 */
function usesTemporaryIndex(repo: Repository): boolean {
  const indexFile = process.env.GIT_INDEX_FILE;
  if (!indexFile) return false;
  const index = resolve(repo.root, indexFile);
  const own = join(repo.gitDir, 'index');
  // `git commit -a` and plain commits work on the index itself, or on its lock file that becomes the index.
  return index !== own && index !== `${own}.lock`;
}

const restageListPath = (repo: Repository) => join(repo.gitDir, 'nbpipe', 'staged-by-pre-commit.json');

/**
 * The post-commit half of the above: every path the pre-commit hook staged into a temporary index, and which the commit
 * holds as staged, gets that entry in the repository's own index too. Returns the paths updated.
 */
export async function restageAfterPartialCommit(repo: Repository): Promise<string[]> {
  const listPath = restageListPath(repo);
  let staged: Record<string, string>;
  try {
    staged = JSON.parse(await fs.readFile(listPath, 'utf8')) as Record<string, string>;
  } catch {
    return [];
  }
  await fs.rm(listPath, { force: true });
  const env = { ...process.env };
  delete env.GIT_INDEX_FILE;
  const updated: string[] = [];
  for (const [path, oid] of Object.entries(staged)) {
    const committed = await runGit(['rev-parse', '--verify', '-q', `HEAD:${path}`], { cwd: repo.root, env });
    if (committed.stdout.toString('utf8').trim() !== oid) continue; // not what was committed: leave the index alone
    const reset = await runGit(['reset', '-q', 'HEAD', '--', `:(literal)${path}`], { cwd: repo.root, env });
    if (reset.code === 0) updated.push(path);
  }
  return updated;
}

async function stripAndSync(
  repo: Repository,
  staged: readonly string[],
  options: PreCommitOptions,
  report: PreCommitReport,
  stage: (path: string, content: string | Uint8Array, mode?: number) => Promise<unknown>,
): Promise<void> {
  const filtered = await filteredByNbpipe(repo, staged.filter(isNotebookPath));
  const stripper = options.strip === false ? undefined : createStripper(options.stripOptions);
  for (const warning of stripper?.warnings ?? []) report.warnings.push(warning);

  // What a staged .ipynb becomes in the index: cleaned like `git add` does (the filter), else stripped here.
  const forIndex = (path: string, content: string): string => {
    if (!stripper || !isNotebookPath(path) || filtered.has(path)) return content;
    try {
      return stripper.strip(content, path).text;
    } catch (e) {
      report.warnings.push(`${(e as Error).message}; committed as it is`);
      return content;
    }
  };

  const pairMembers =
    options.sync === false
      ? new Set<string>()
      : await syncStagedPairs(repo, staged, options, filtered, forIndex, report, stage);
  await refuseConflicted(repo, staged, pairMembers, report);
  if (report.conflicts.length > 0 || !stripper) return;

  // Strip what is now staged (including members just synced).
  const notebooks = staged.filter((p) => isNotebookPath(p) && !filtered.has(p));
  const entries = await indexEntries(repo, notebooks);
  const blobs = await readBlobs(
    repo,
    [...entries.values()].map((e) => e.oid),
  );
  for (const [path, entry] of entries) {
    try {
      const result = stripper.strip(blobs.get(entry.oid)!, path);
      if (!result.changed) continue;
      await stage(path, result.text, entry.mode);
      report.stripped.push(path);
    } catch (e) {
      report.warnings.push(`${(e as Error).message}; committed as it is`);
    }
  }
}

async function syncStagedPairs(
  repo: Repository,
  staged: readonly string[],
  options: PreCommitOptions,
  filtered: Set<string>,
  forIndex: (path: string, content: string) => string,
  report: PreCommitReport,
  stage: (path: string, content: string | Uint8Array, mode?: number) => Promise<unknown>,
): Promise<Set<string>> {
  const { fileFormat } = await import('@nbpipe/codec');
  const { decodeNotebookBytes, isNotebookError } = await import('@nbpipe/nbformat');
  const rel = (abs: string) => relative(repo.root, abs).split(sep).join('/');
  const stagedSet = new Set(staged);
  const settings = new SettingsCache(options);
  const record = await SyncRecord.open(repo);

  // Members as staged: a staged change counts as the newest version (as in jupytext's pre-commit mode).
  const candidates = staged.filter((path) => {
    try {
      fileFormat(path); // only notebooks and the text formats can be members of a pair
      return true;
    } catch {
      return false;
    }
  });
  const entryCache = new Map<string, { content: string; mode: number } | undefined>();
  const load = async (paths: readonly string[]) => {
    const entries = await indexEntries(repo, paths);
    const blobs = await readBlobs(
      repo,
      [...entries.values()].map((e) => e.oid),
    );
    for (const path of paths) {
      const entry = entries.get(path);
      entryCache.set(
        path,
        entry ? { content: decodeNotebookBytes(blobs.get(entry.oid)!, path), mode: entry.mode } : undefined,
      );
    }
  };
  const stagedEntry = async (abs: string) => {
    const path = rel(abs);
    if (!entryCache.has(path)) await load([path]);
    return entryCache.get(path);
  };
  // One git call for all staged candidates rather than two per file; an unreadable one is reported when planned.
  await load(candidates).catch(() => entryCache.clear());
  const readStaged: MemberReader = async (abs) => {
    const entry = await stagedEntry(abs);
    return entry && { content: entry.content, mtime: stagedSet.has(rel(abs)) ? Infinity : 0 };
  };

  /**
   * An empty text file (a package's `__init__.py` under a project pairing) cannot be read as a notebook, but unless
   * another member of its pair exists there is nothing to sync and nothing to warn about. With one, it is reported.
   */
  const isUnpairedEmptyText = async (abs: string, e: unknown): Promise<boolean> => {
    if (!isNotebookError(e) || e.code !== 'EMPTY' || isNotebookPath(abs)) return false;
    const { pairedPaths } = await import('@nbpipe/codec');
    const folder = await settings.forFile(abs);
    // Its format cannot be told from no content: every project pairing that lists its extension counts.
    for (const formats of folder.pairings) {
      if (!formats.some((f) => f.extension === extname(abs))) continue;
      try {
        for (const m of pairedPaths(abs, formats, { ceiling: folder.ceiling }))
          if (m.path !== abs && ((await exists(m.path)) || (await stagedEntry(m.path)))) return false;
      } catch {
        return false;
      }
    }
    return true;
  };

  // Asked of git only when a staged file has a pair.
  let merged: ReturnType<typeof gitConflicts> | undefined;
  const done = new Set<string>();
  for (const path of candidates) {
    if (done.has(path)) continue;
    let found;
    try {
      found = await lookUpPair(join(repo.root, path), readStaged, settings);
    } catch (e) {
      // A notebook with git's markers is no JSON: its partner may still find the pair, else refuseConflicted stops the commit.
      if (conflictsIn(path, (await stagedEntry(join(repo.root, path)).catch(() => undefined))?.content).length > 0)
        continue;
      if (await isUnpairedEmptyText(join(repo.root, path), e)) continue;
      report.warnings.push(`${(e as Error).message.split(repo.root + sep).join('')}; not synced`);
      continue;
    }
    if (!found.lookup.paired) continue;
    for (const m of found.lookup.members) done.add(rel(m.path));
    const { inOperation, paths: conflictedByGit, finish } = await (merged ??= gitConflicts(repo));
    const members: MemberConflicts[] = [];
    for (const m of found.lookup.members) {
      const content = (await stagedEntry(m.path))?.content;
      members.push({
        ...m,
        content,
        conflicts: conflictsIn(m.path, content),
        conflictedByGit: conflictedByGit.has(rel(m.path)),
      });
    }
    let planned;
    try {
      const settled = settleConflicts(members, {
        formatOptions: found.folder.formatOptions,
        inOperation,
        regenerateConflicted: true,
        show: rel,
        finish: (paths) => `git add ${paths.join(' ')} && ${finish}`,
      });
      if (settled.status === 'refused') {
        report.conflicts.push({ kind: 'conflicted', paths: members.map((m) => rel(m.path)), message: settled.message });
        continue;
      }
      const forced = settled.status === 'source' ? settled.source : undefined;
      planned = await planLookedUp(found, forced ? withoutUnreadableNotebooks(readStaged, members) : readStaged, {
        record,
        source: forced,
      });
    } catch (e) {
      report.warnings.push(`${(e as Error).message.split(repo.root + sep).join('')}; not synced`);
      continue;
    }
    if (!planned.paired) continue;
    // A partner notebook that was not staged is staged here: through git's clean filter when it applies, so that
    // the filter keeps its outputs for checkout and stash, as it does for `git add`.
    const partners = planned.members.map((m) => rel(m.path)).filter((p) => isNotebookPath(p) && !stagedSet.has(p));
    for (const p of await filteredByNbpipe(repo, partners)) filtered.add(p);
    const { plan } = planned;
    if (plan.status === 'conflict') {
      report.conflicts.push({
        kind: 'disagree',
        paths: [rel(plan.paths[0]), rel(plan.paths[1])],
        message: plan.message.split(repo.root + sep).join(''),
      });
      continue;
    }
    const changed = plan.members.filter((m) => m.after !== m.before);
    if (changed.length === 0) {
      record.remember(plan.members);
      continue;
    }
    // The working tree can take the new version of a member only if it has no unstaged edits there.
    const source = plan.members.find((m) => m.path === plan.source)!;
    const stagedNames: string[] = [];
    for (const member of changed) {
      const path = rel(member.path);
      const entry = await stagedEntry(member.path);
      const clean = await worktreeMatchesIndex(repo, path, entry, filtered, forIndex);
      const unreadable = members.some((m) => m.path === member.path && m.conflicts.some((c) => c.kind === 'text'));
      if (clean && member.format.extension === '.ipynb' && !unreadable && (await exists(member.path))) {
        // Plan again against the working-tree notebook, so that it keeps its outputs.
        const fromWorktree: MemberReader = async (abs) =>
          abs === source.path
            ? { content: source.after, mtime: Infinity }
            : abs === member.path
              ? { content: decodeNotebookBytes(await fs.readFile(abs), abs), mtime: 0 }
              : readStaged(abs);
        const again = await planPair(member.path, fromWorktree, { settings, record, source: source.path });
        const worktree =
          again.paired && again.plan.status === 'synced'
            ? again.plan.members.find((m) => m.path === member.path)?.after
            : undefined;
        if (worktree !== undefined) {
          await writeFileAtomic(member.path, worktree);
          await stage(path, forIndex(path, worktree), entry?.mode);
          stagedNames.push(path);
          continue;
        }
      }
      if (clean) await writeFileAtomic(member.path, member.after);
      else
        report.warnings.push(`${path} has unstaged changes: staged its synced version, left the working copy as it is`);
      await stage(path, forIndex(path, member.after), entry?.mode);
      stagedNames.push(path);
    }
    record.remember(plan.members);
    report.synced.push({ source: rel(plan.source), staged: stagedNames });
  }
  if (report.conflicts.length === 0) await record.save();
  return done;
}

/**
 * No notebook, and no member of a pair, is committed with conflicts left in it (markers, or nbpipe's conflict records),
 * whatever syncing did: what is staged now is checked. Paths already reported are not reported twice.
 */
async function refuseConflicted(
  repo: Repository,
  staged: readonly string[],
  pairMembers: ReadonlySet<string>,
  report: PreCommitReport,
): Promise<void> {
  const reported = new Set(report.conflicts.flatMap((c) => c.paths));
  // A text file is checked only as a member of a pair: git's markers in other files are none of nbpipe's business.
  const checked = staged.filter((path) => !reported.has(path) && (isNotebookPath(path) || pairMembers.has(path)));
  const entries = await indexEntries(repo, checked);
  const blobs = await readBlobs(
    repo,
    [...entries.values()].map((e) => e.oid),
  );
  const { describeConflict } = await import('@nbpipe/merge');
  const { decodeNotebookBytes } = await import('@nbpipe/nbformat');
  for (const [path, entry] of entries) {
    let conflicts;
    try {
      conflicts = conflictsIn(path, decodeNotebookBytes(blobs.get(entry.oid)!, path));
    } catch {
      continue; // not text (or empty): no markers
    }
    if (conflicts.length === 0) continue;
    const shown = conflicts.slice(0, 3).map(describeConflict).join('; ');
    report.conflicts.push({
      kind: 'conflicted',
      paths: [path],
      message: `${path} still holds conflicts (${shown}); resolve them, then \`git add ${path}\``,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether the working-tree file equals its staged version (both absent counts), once cleaned as it would be staged. */
async function worktreeMatchesIndex(
  repo: Repository,
  path: string,
  entry: { content: string } | undefined,
  filtered: ReadonlySet<string>,
  forIndex: (path: string, content: string) => string,
): Promise<boolean> {
  const abs = join(repo.root, path);
  if (!(await exists(abs))) return entry === undefined;
  if (entry === undefined) return false;
  if (filtered.has(path)) {
    // git's own clean filter decides, exactly as `git status` would.
    const staged = (await indexEntries(repo, [path])).get(path);
    return staged?.oid === (await worktreeBlobId(repo, path));
  }
  const worktree = await fs.readFile(abs, 'utf8');
  return forIndex(path, worktree) === forIndex(path, entry.content);
}
