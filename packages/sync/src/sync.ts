import { promises as fs } from 'node:fs';
import { findJupytextConfigFile, readIfExists } from './config-file.js';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  fileFormat,
  findPair,
  formatPairing,
  inputsDigest,
  pairedPaths,
  pairingsFromConfigValue,
  parsePairing,
  planSync,
  readJupytextSettings,
  readMember,
  resolvePairing,
  sameCells,
  type JupytextSettings,
  type PairedFormat,
  type PairedPath,
  type PairLookup,
  type PlannedMember,
  type SyncMember,
  type SyncPlan,
  type TextFormatOptions,
} from '@nbpipe/codec';
import {
  findRepository,
  operationInProgress,
  readFileNamed,
  readFilesAtRevision,
  resolvedConflictPaths,
  trackedPaths,
  unmergedPaths,
  writeFileAtomic,
  type Repository,
} from '@nbpipe/git';
import { describeConflict, findFileConflicts, type FileConflict } from '@nbpipe/merge';
import { decodeNotebookBytes, type Notebook } from '@nbpipe/nbformat';

// ---- configuration --------------------------------------------------------------------------------

/**
 * The jupytext configuration that applies to files in `dir` (config-file.ts `findJupytextConfigFile`), its
 * settings read.
 */
export async function findJupytextConfig(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<JupytextConfigFile | undefined> {
  const found = await findJupytextConfigFile(dir, env);
  return found && { path: found.path, settings: readJupytextSettings(found.table, found.where) };
}

export interface JupytextConfigFile {
  path: string;
  settings: JupytextSettings;
}

/** Where pairings come from besides a notebook's own metadata. */
export interface ProjectPairing {
  /** nbpipe's configuration `pairing` (e.g. "ipynb,py:percent"); wins over jupytext's `formats`. */
  pairing?: string;
  /** The nbpipe configuration file, for messages and as the floor of tree roots. */
  configPath?: string;
  /** Environment for JUPYTEXT_CEILING_DIRECTORIES. */
  env?: NodeJS.ProcessEnv;
  /** Told once per configuration file about keys jupytext itself would reject (they are ignored). */
  warn?: (message: string) => void;
}

/** What applies to the files of one folder: project pairings, text format options, the tree-root floor. */
export interface FolderSettings {
  pairings: PairedFormat[][];
  formatOptions: TextFormatOptions;
  ceiling?: string;
  jupytext?: JupytextConfigFile;
}

/** Settings per folder, each folder's jupytext configuration looked up once. */
export class SettingsCache {
  private readonly cache = new Map<string, Promise<FolderSettings>>();
  private readonly warned = new Set<string>();
  constructor(private readonly project: ProjectPairing = {}) {}

  forFile(path: string): Promise<FolderSettings> {
    const dir = dirname(path);
    let settings = this.cache.get(dir);
    if (!settings) this.cache.set(dir, (settings = this.load(dir)));
    return settings;
  }

  private async load(dir: string): Promise<FolderSettings> {
    const jupytext = await findJupytextConfig(dir, this.project.env);
    const unknown = jupytext?.settings.unknownKeys ?? [];
    if (jupytext && unknown.length > 0 && !this.warned.has(jupytext.path)) {
      this.warned.add(jupytext.path);
      this.project.warn?.(
        `${jupytext.path}: unknown jupytext option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} ignored`,
      );
    }
    const formatOptions = (jupytext?.settings.formatOptions ?? {}) as TextFormatOptions;
    if (this.project.pairing !== undefined) {
      const where = this.project.configPath ?? 'nbpipe configuration';
      const pairings = pairingsFromConfigValue(this.project.pairing, `${where}: pairing`);
      return {
        pairings,
        formatOptions,
        ceiling: this.project.configPath ? dirname(this.project.configPath) : undefined,
        jupytext,
      };
    }
    return {
      pairings: jupytext?.settings.pairings ?? [],
      formatOptions,
      ceiling: jupytext ? dirname(jupytext.path) : undefined,
      jupytext,
    };
  }
}

// ---- the record of the last sync ----------------------------------------------------------------

/**
 * The digest of each member's cells when its pair was last synced, kept per clone in
 * `<git dir>/nbpipe/sync-state.json` (never committed). It tells which member changed since: the source of a
 * sync, and a conflict when two members changed differently. A member it does not know is compared with its
 * committed version (HEAD), the last state a pre-commit sync agreed on; outside git nothing is known and the
 * newest file wins, as in jupytext. A member whose cells equal its committed version counts as unedited
 * whatever the record says, so a record left from another branch makes no conflict after a switch (planSync).
 */
export class SyncRecord {
  private dirty = false;
  private constructor(
    readonly repo: Repository | undefined,
    private readonly digests: Record<string, string>,
  ) {}

  private static file(repo: Repository): string {
    return join(repo.gitDir, 'nbpipe', 'sync-state.json');
  }

  static async open(repo: Repository | undefined): Promise<SyncRecord> {
    if (!repo) return new SyncRecord(undefined, {});
    let digests: Record<string, string> = {};
    try {
      const data = JSON.parse(await fs.readFile(SyncRecord.file(repo), 'utf8')) as { members?: Record<string, string> };
      if (data.members && typeof data.members === 'object') digests = data.members;
    } catch {
      // A missing or damaged record only means the last sync is unknown.
    }
    return new SyncRecord(repo, digests);
  }

  private key(path: string): string | undefined {
    if (!this.repo) return undefined;
    const rel = relative(this.repo.root, path);
    return rel.startsWith('..') ? undefined : rel.split(sep).join('/');
  }

  /** Digests of committed versions, by key (undefined: not committed or unreadable), fetched once. */
  private readonly committed = new Map<string, string | undefined>();

  /**
   * Read the committed versions of members, all with one git command: the baseline of members the record does
   * not know, and for the others what tells a member git moved (switch, merge, reset) from one the user edited.
   */
  async prefetch(entries: readonly { member: PairedPath; formatOptions: TextFormatOptions }[]): Promise<void> {
    const missing = entries.filter(({ member }) => {
      const key = this.key(member.path);
      return key !== undefined && !this.committed.has(key);
    });
    if (!this.repo || missing.length === 0) return;
    const blobs = await readFilesAtRevision(
      this.repo,
      'HEAD',
      missing.map(({ member }) => this.key(member.path)!),
    );
    for (const { member, formatOptions } of missing) {
      const key = this.key(member.path)!;
      const blob = blobs.get(key);
      let digest: string | undefined;
      try {
        if (blob)
          digest = inputsDigest(
            readMember(member.path, member.format, decodeNotebookBytes(blob, member.path), formatOptions),
          );
      } catch {
        // An unreadable committed version tells nothing about the last sync.
      }
      this.committed.set(key, digest);
    }
  }

  /** The digest of each member at the last sync: from the record, else from HEAD's version of the file. */
  async lastSynced(members: readonly PairedPath[], formatOptions: TextFormatOptions): Promise<(string | undefined)[]> {
    await this.prefetch(members.map((member) => ({ member, formatOptions })));
    return members.map((m) => {
      const key = this.key(m.path);
      return key === undefined ? undefined : (this.digests[key] ?? this.committed.get(key));
    });
  }

  /** The digest of each member's committed (HEAD) version, undefined when not committed or outside git. */
  async committedDigests(
    members: readonly PairedPath[],
    formatOptions: TextFormatOptions,
  ): Promise<(string | undefined)[]> {
    await this.prefetch(members.map((member) => ({ member, formatOptions })));
    return members.map((m) => {
      const key = this.key(m.path);
      return key === undefined ? undefined : this.committed.get(key);
    });
  }

  remember(members: readonly PlannedMember[]): void {
    for (const m of members) {
      const key = this.key(m.path);
      if (key !== undefined && this.digests[key] !== m.digest) {
        this.digests[key] = m.digest;
        this.dirty = true;
      }
    }
  }

  async save(): Promise<void> {
    if (!this.repo || !this.dirty) return;
    const file = SyncRecord.file(this.repo);
    await fs.mkdir(dirname(file), { recursive: true });
    const members = Object.fromEntries(Object.entries(this.digests).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    await writeFileAtomic(file, JSON.stringify({ version: 1, members }, null, 1) + '\n');
    this.dirty = false;
  }
}

// ---- pairs left conflicted by a merge ---------------------------------------------------------------

/** One member of a pair as far as conflicts go. */
export interface MemberConflicts {
  /** Absolute path. */
  path: string;
  format: PairedFormat;
  /** Its content (staged or on disk); undefined when absent. */
  content?: string;
  /** What is left unresolved in it (findFileConflicts); empty when resolved or never conflicted. */
  conflicts: FileConflict[];
  /** git left a conflict in it during the merge, cherry-pick, rebase or stash under way (resolved since or not). */
  conflictedByGit: boolean;
}

export interface SettleOptions {
  formatOptions: TextFormatOptions;
  /** The side asked for (`--prefer`): taken whenever it has no conflict left. */
  prefer?: 'text' | 'notebook';
  /** A merge, cherry-pick, revert or rebase is under way: members git conflicted must agree once resolved. */
  inOperation: boolean;
  /**
   * A member git left conflicted that still holds its markers may be regenerated from the member the user resolved
   * (the pre-commit hook: the merge already put both sides' edits into the resolved one). Otherwise it is refused.
   */
  regenerateConflicted: boolean;
  /** A path for messages. */
  show: (path: string) => string;
  /** What to run after keeping one side, e.g. `git add a.ipynb a.py && git commit --no-edit` (given the members shown). */
  finish?: (paths: string[]) => string;
}

export type Settlement =
  /** No conflict involved: plan the pair as usual. */
  | { status: 'none' }
  /** Regenerate the other members from this one (absolute path). */
  | { status: 'source'; source: string }
  /** Nothing may be synced or committed; the message names the files, the conflicts left and the commands to finish. */
  | { status: 'refused'; message: string };

/** A member's conflicts for a message: `a.py (line 15: conflict marker; …)`. */
function describeMember(shown: string, conflicts: readonly FileConflict[]): string {
  const first = conflicts.slice(0, 3).map(describeConflict).join('; ');
  return `${shown} (${first}${conflicts.length > 3 ? `; ${conflicts.length - 3} more` : ''})`;
}

/**
 * What to do with a pair some member of which holds conflicts, or which the merge under way conflicted (README
 * "Finishing a conflicted merge"). A member with conflicts is never a source. The preferred side wins when it has none
 * left; else the one member the user resolved wins when the others still hold git's markers (`regenerateConflicted`);
 * members resolved differently, or none resolved, are refused with the commands that finish.
 */
export function settleConflicts(members: readonly MemberConflicts[], options: SettleOptions): Settlement {
  const present = members.filter((m) => m.content !== undefined);
  const unresolved = present.filter((m) => m.conflicts.length > 0);
  const resolved = present.filter((m) => m.conflicts.length === 0);
  if (unresolved.length === 0 && !(options.inOperation && present.some((m) => m.conflictedByGit)))
    return { status: 'none' };

  const { show } = options;
  const notebook = members.find((m) => m.format.extension === '.ipynb') ?? members[0]!;
  const text = members.find((m) => m.format.extension !== '.ipynb') ?? members[0]!;
  const then = options.finish ? ` && ${options.finish(members.map((m) => show(m.path)))}` : '';
  const keep = (m: MemberConflicts) =>
    `\`nbpipe sync --prefer ${m === notebook ? 'notebook' : 'text'} ${show(m.path)}${then}\``;
  const names = (list: readonly MemberConflicts[]) => list.map((m) => show(m.path)).join(' and ');
  const cells = new Map(resolved.map((m) => [m, readMember(m.path, m.format, m.content!, options.formatOptions)]));
  const agree = resolved.every((m) => sameCells(cells.get(m)!, cells.get(resolved[0]!)!));

  const preferred =
    options.prefer && resolved.find((m) => (m.format.extension === '.ipynb') === (options.prefer === 'notebook'));
  if (preferred)
    return agree && unresolved.length === 0 ? { status: 'none' } : { status: 'source', source: preferred.path };
  if (unresolved.length === 0) {
    if (agree) return { status: 'none' };
    return {
      status: 'refused',
      message: `${names(resolved)} were resolved differently; keep the notebook's cells with ${keep(notebook)}, or the text's with ${keep(text)}`,
    };
  }
  const left = unresolved.map((m) => describeMember(show(m.path), m.conflicts)).join(' and ');
  const holds = unresolved.length === 1 ? 'holds' : 'hold';
  if (options.prefer) return { status: 'refused', message: `${left} still ${holds} conflicts; resolve them first` };
  if (resolved.length === 0)
    return {
      status: 'refused',
      message:
        `${left} still ${holds} conflicts; resolve one of them (the notebook in Jupyter, or ${show(text.path)} in an editor), ` +
        `then keep it with ${keep(notebook)} (or ${keep(text)})`,
    };
  if (!agree)
    return {
      status: 'refused',
      message: `${left} still ${holds} conflicts, and ${names(resolved)} were resolved differently; keep one side with ${keep(notebook)} or ${keep(text)}`,
    };
  if (options.regenerateConflicted && unresolved.every((m) => m.conflictedByGit))
    return { status: 'source', source: resolved[0]!.path };
  return {
    status: 'refused',
    message: `${left} still ${holds} conflicts; resolve them, or take ${show(resolved[0]!.path)} with ${keep(resolved[0]!)}`,
  };
}

/** The conflicts left in a member's content; none when it cannot be read (reading it reports why). */
export function conflictsIn(path: string, content: string | undefined): FileConflict[] {
  if (content === undefined) return [];
  try {
    return findFileConflicts(path, content);
  } catch {
    return [];
  }
}

/**
 * A reader that leaves out the members git's text merge made unreadable (a notebook with git's markers is no JSON):
 * they are regenerated from the source as if new.
 */
export function withoutUnreadableNotebooks(read: MemberReader, members: readonly MemberConflicts[]): MemberReader {
  const unreadable = new Set(
    members
      .filter((m) => m.format.extension === '.ipynb' && m.conflicts.some((c) => c.kind === 'text'))
      .map((m) => m.path),
  );
  return async (path) => (unreadable.has(path) ? undefined : read(path));
}

/**
 * Paths (relative to the root, `/`-separated) that git conflicted since the last checkout (unmerged, or resolved with
 * `git add`), whether a merge, cherry-pick, revert or rebase is under way, and the command that finishes it.
 */
export async function gitConflicts(
  repo: Repository,
): Promise<{ inOperation: boolean; paths: Set<string>; finish: string }> {
  const operation = await operationInProgress(repo);
  const paths = await resolvedConflictPaths(repo);
  for (const path of await unmergedPaths(repo)) paths.add(path);
  return { inOperation: operation !== undefined, paths, finish: operation?.finish ?? 'git commit' };
}

/** A file of the repository with conflicts left: what `nbpipe conflicts` lists. */
export interface ConflictedFile {
  /** Absolute path. */
  path: string;
  conflicts: FileConflict[];
  /** Still unmerged in git's index (not yet `git add`ed). */
  unmerged: boolean;
}

/** Whether a text file is a member of a pair (a script git merged that a notebook pairs with). */
async function isPairMember(path: string, content: string, settings: SettingsCache): Promise<boolean> {
  try {
    fileFormat(path);
    const { lookup } = await lookUpPair(path, async () => ({ content, mtime: 0 }), settings);
    return lookup.paired;
  } catch {
    return false;
  }
}

/**
 * Every notebook and pair member of the repository with conflicts left (README "Finishing a conflicted merge"): the
 * paths git lists as unmerged or resolved since the last checkout, and any tracked notebook that still holds nbpipe's
 * markers or conflict records. A text file that is no pair member is left to git.
 */
export async function conflictedFiles(repo: Repository, project: ProjectPairing = {}): Promise<ConflictedFile[]> {
  const unmerged = new Set(await unmergedPaths(repo));
  const candidates = new Set([
    ...unmerged,
    ...(await resolvedConflictPaths(repo)),
    ...(await trackedPaths(repo, '*.ipynb')),
  ]);
  const settings = new SettingsCache(project);
  const found: ConflictedFile[] = [];
  for (const key of [...candidates].sort()) {
    const path = join(repo.root, key);
    const content = await readIfExists(path).catch(() => undefined);
    const isNotebook = key.toLowerCase().endsWith('.ipynb');
    // Most notebooks hold no marker and no record: not worth parsing.
    if (isNotebook && !unmerged.has(key) && !/<<<<<<<|>>>>>>>|"nbpipe"/.test(content ?? '')) continue;
    if (!isNotebook && (content === undefined || !(await isPairMember(path, content, settings)))) continue;
    const conflicts = conflictsIn(path, content);
    if (conflicts.length > 0 || unmerged.has(key)) found.push({ path, conflicts, unmerged: unmerged.has(key) });
  }
  return found;
}

// ---- syncing files --------------------------------------------------------------------------------

export interface SyncOutcome {
  /** Members of the pair (absolute paths), in the order of the pairing. */
  members: string[];
  /**
   * `in-sync`: nothing to do; `updated`: files written; `out-of-sync`: files would be written (check mode);
   * `conflict`: two members changed differently, nothing written; `unpaired`: the file has no pairing.
   */
  status: 'in-sync' | 'updated' | 'out-of-sync' | 'conflict' | 'unpaired';
  /** The file named by the caller. */
  path: string;
  /** The member whose cells were taken. */
  source?: string;
  /** Members written (or, in check mode, that would be). */
  changed: string[];
  /** Why the file is unpaired, or the conflict (paths relative to `cwd`). */
  message?: string;
  /** For a text source with a .ipynb: cells that kept their outputs, edited cells (outputs dropped), new cells. */
  cells?: { same: number; edited: number; new: number };
}

export interface SyncOptions extends ProjectPairing {
  cwd?: string;
  /** Write nothing; report what would change. */
  check?: boolean;
  /** Resolve conflicts by taking the newest text member or the .ipynb. */
  prefer?: 'text' | 'notebook';
}

/** A member as the caller sees it (working tree, git index, …): content and recency; undefined when absent. */
export type MemberReader = (path: string) => Promise<{ content: string; mtime: number } | undefined>;

/** Reads members from disk, remembering each one's mtime (undefined: absent) to detect changes before writing. */
function diskReader(seen: Map<string, number | undefined>): MemberReader {
  return async (path) => {
    let stat;
    try {
      stat = await fs.stat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      seen.set(path, undefined);
      return undefined;
    }
    seen.set(path, stat.mtimeMs);
    return { content: decodeNotebookBytes(await readFileNamed(path), path), mtime: stat.mtimeMs };
  };
}

export type PairPlan =
  | { paired: false; reason: string }
  | {
      paired: true;
      /** Every member, in the order of the pairing. */
      members: PairedPath[];
      /** Each member as read. */
      read: SyncMember[];
      plan: SyncPlan;
    };

export interface PlanPairOptions {
  settings: SettingsCache;
  /** The last sync, to find which member changed and to detect conflicts; without it the newest member wins. */
  record?: SyncRecord;
  prefer?: 'text' | 'notebook';
  /** Take this member (absolute path) as the source, whatever changed: the side that settles a conflict. */
  source?: string;
}

/** A file read and its pair looked up: the first half of planPair. */
export interface LookedUp {
  path: string;
  given: { content: string; mtime: number };
  lookup: PairLookup;
  folder: FolderSettings;
}

export async function lookUpPair(path: string, read: MemberReader, settings: SettingsCache): Promise<LookedUp> {
  const given = await read(path);
  if (!given) throw Object.assign(new Error(`${path}: no such file or directory`), { code: 'ENOENT', path });
  const folder = await settings.forFile(path);
  const lookup = findPair(path, given.content, {
    projectPairings: folder.pairings,
    formatOptions: folder.formatOptions,
    ceiling: folder.ceiling,
  });
  return { path, given, lookup, folder };
}

/** The second half of planPair: read the other members and plan. */
export async function planLookedUp(
  { path, given, lookup, folder }: LookedUp,
  read: MemberReader,
  options: Omit<PlanPairOptions, 'settings'>,
): Promise<PairPlan> {
  if (!lookup.paired) return { paired: false, reason: lookup.reason };
  const lastSynced = options.record ? await options.record.lastSynced(lookup.members, folder.formatOptions) : [];
  const committed = options.record ? await options.record.committedDigests(lookup.members, folder.formatOptions) : [];
  const members: SyncMember[] = [];
  for (const [i, m] of lookup.members.entries()) {
    const found = m.path === path ? given : await read(m.path);
    const member: SyncMember = { path: m.path, format: m.format };
    if (found) Object.assign(member, found);
    // The file was read as a notebook to find its pair; a .ipynb reads the same whatever the pairing says.
    if (m.path === path && m.format.extension === '.ipynb') member.notebook = lookup.notebook;
    if (lastSynced[i] !== undefined) member.lastSynced = lastSynced[i];
    if (committed[i] !== undefined) member.committed = committed[i];
    members.push(member);
  }
  const source = options.source === undefined ? undefined : { path: options.source };
  const plan = planSync(members, { formatOptions: folder.formatOptions, prefer: options.prefer, source });
  return { paired: true, members: lookup.members, read: members, plan };
}

/**
 * Decide what every member of the pair of `path` should become, reading contents through `read` — the working
 * tree for `nbpipe sync`, staged blobs (with an infinite mtime) for a pre-commit hook. Writes nothing; apply the
 * plan's `after` contents, then `record.remember(plan.members)` and `record.save()`.
 */
export async function planPair(path: string, read: MemberReader, options: PlanPairOptions): Promise<PairPlan> {
  return planLookedUp(await lookUpPair(path, read, options.settings), read, options);
}

interface PendingPair {
  outcome: SyncOutcome;
  planned: PlannedMember[];
  record: SyncRecord;
}

/** Throw if a file changed on disk since it was read: its content would be overwritten unseen. */
async function assertUnchanged(seen: ReadonlyMap<string, number | undefined>): Promise<void> {
  for (const [path, mtime] of seen) {
    const now = await fs.stat(path).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (now !== mtime)
      throw new Error(`${path} changed while nbpipe was syncing it; nothing was written, run the command again`);
  }
}

/** Write what the plans say: the .ipynb first, then the texts, so that a text source stays the newest file. */
async function applyPlans(
  pending: readonly PendingPair[],
  seen: ReadonlyMap<string, number | undefined>,
): Promise<void> {
  await assertUnchanged(seen);
  for (const { planned, outcome, record } of pending) {
    const changed = planned.filter((m) => m.after !== m.before);
    const order = [
      ...changed.filter((m) => m.format.extension === '.ipynb'),
      ...changed.filter((m) => m.format.extension !== '.ipynb').reverse(),
    ];
    for (const m of order) {
      await fs.mkdir(dirname(m.path), { recursive: true });
      await writeFileAtomic(m.path, m.after);
    }
    // Like jupytext: when the .ipynb was rewritten, untouched texts are touched so that they stay newer than it.
    if (order.some((m) => m.format.extension === '.ipynb')) {
      const now = new Date();
      for (const m of planned)
        if (m.format.extension !== '.ipynb' && m.after === m.before) await fs.utimes(m.path, now, now);
    }
    record.remember(planned);
    outcome.status = changed.length > 0 ? 'updated' : 'in-sync';
  }
}

/** One SyncRecord per repository, saved together at the end. */
class Records {
  private readonly byDir = new Map<string, Promise<SyncRecord>>();
  private readonly byRepo = new Map<string, Promise<SyncRecord>>();

  get(path: string): Promise<SyncRecord> {
    const dir = dirname(path);
    let record = this.byDir.get(dir);
    if (!record) {
      record = findRepository(dir).then((repo) => {
        const key = repo?.gitDir ?? '';
        let shared = this.byRepo.get(key);
        if (!shared) this.byRepo.set(key, (shared = SyncRecord.open(repo)));
        return shared;
      });
      this.byDir.set(dir, record);
    }
    return record;
  }

  async save(): Promise<void> {
    for (const record of this.byRepo.values()) await (await record).save();
  }
}

function cellCounts(matches: { kind: string }[] | undefined): SyncOutcome['cells'] {
  if (!matches) return undefined;
  const count = (kind: string) => matches.filter((m) => m.kind === kind).length;
  return { same: count('same'), edited: count('edited'), new: count('new') };
}

/** Errors name files relative to `cwd`, as the user gave them, rather than by the absolute paths used inside. */
async function relativeErrors<T>(cwd: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof Error) {
      const prefix = cwd.endsWith(sep) ? cwd : cwd + sep;
      e.message = e.message.split(prefix).join('');
      const errno = e as NodeJS.ErrnoException;
      if (typeof errno.path === 'string' && errno.path.startsWith(prefix)) errno.path = errno.path.slice(prefix.length);
    }
    throw e;
  }
}

/**
 * Bring every member of the pairs of `paths` up to date (see planSync for the rules). Everything is read and
 * planned before anything is written, so bad input anywhere writes nothing; a conflicting pair is reported and
 * left alone while the other pairs are synced.
 */
export async function syncPaths(paths: readonly string[], options: SyncOptions = {}): Promise<SyncOutcome[]> {
  const cwd = options.cwd ?? process.cwd();
  return relativeErrors(cwd, () => syncIn(cwd, paths, options));
}

async function syncIn(cwd: string, paths: readonly string[], options: SyncOptions): Promise<SyncOutcome[]> {
  const show = (p: string) => relative(cwd, p) || p;
  const settings = new SettingsCache(options);
  const records = new Records();
  const outcomes: SyncOutcome[] = [];
  const pending: PendingPair[] = [];
  const seen = new Map<string, number | undefined>();
  const read = diskReader(seen);
  // Look every pair up first, so that the committed versions of all members are read in one go.
  const lookedUp: LookedUp[] = [];
  const seenPairs = new Set<string>();
  for (const given of paths) {
    const path = resolve(cwd, given);
    let found;
    try {
      found = await lookUpPair(path, read, settings);
    } catch (e) {
      // A notebook git merged as text is no JSON until resolved: say where its markers are, not where its JSON breaks.
      const conflicts = conflictsIn(path, (await read(path).catch(() => undefined))?.content);
      if (conflicts.length === 0) throw e;
      const message = `${describeMember(show(path), conflicts)} still holds conflicts; resolve them first`;
      outcomes.push({ path, members: [path], status: 'conflict', changed: [], message });
      continue;
    }
    if (found.lookup.paired) {
      const key = found.lookup.members.map((m) => m.path).join('\0');
      if (seenPairs.has(key)) continue;
      seenPairs.add(key);
    }
    lookedUp.push(found);
  }
  const wanted = new Map<SyncRecord, { member: PairedPath; formatOptions: TextFormatOptions }[]>();
  for (const { lookup, path, folder } of lookedUp) {
    if (!lookup.paired) continue;
    const record = await records.get(path);
    const entries = wanted.get(record) ?? [];
    for (const member of lookup.members) entries.push({ member, formatOptions: folder.formatOptions });
    wanted.set(record, entries);
  }
  for (const [record, entries] of wanted) await record.prefetch(entries);
  const gitConflictsOf = new Map<Repository, ReturnType<typeof gitConflicts>>();
  for (const found of lookedUp) {
    const { path } = found;
    const record = await records.get(path);
    let source: string | undefined;
    let readPlanned = read;
    if (found.lookup.paired) {
      const { repo } = record;
      if (repo && !gitConflictsOf.has(repo)) gitConflictsOf.set(repo, gitConflicts(repo));
      const merged = repo ? await gitConflictsOf.get(repo)! : undefined;
      const members: MemberConflicts[] = [];
      for (const m of found.lookup.members) {
        const content = m.path === path ? found.given.content : (await read(m.path))?.content;
        const key = repo && relative(repo.root, m.path).split(sep).join('/');
        members.push({
          ...m,
          content,
          conflicts: conflictsIn(m.path, content),
          conflictedByGit: !!key && !!merged?.paths.has(key),
        });
      }
      const settled = settleConflicts(members, {
        formatOptions: found.folder.formatOptions,
        prefer: options.prefer,
        inOperation: merged?.inOperation ?? false,
        regenerateConflicted: false,
        show,
      });
      if (settled.status === 'refused') {
        outcomes.push({
          path,
          members: members.map((m) => m.path),
          status: 'conflict',
          changed: [],
          message: `${settled.message}; nothing was written for this pair`,
        });
        continue;
      }
      if (settled.status === 'source') {
        source = settled.source;
        readPlanned = withoutUnreadableNotebooks(read, members);
      }
    }
    const planned = await planLookedUp(found, readPlanned, { record, prefer: options.prefer, source });
    if (!planned.paired) {
      outcomes.push({ path, members: [path], status: 'unpaired', changed: [], message: planned.reason });
      continue;
    }
    const { plan, members: pairMembers } = planned;
    const members = pairMembers.map((m) => m.path);
    if (plan.status === 'conflict') {
      const [newer, older] = plan.paths.map(show);
      const message =
        `${newer} and ${older} both changed their cells since the last sync (${newer} is newer); nothing was written for this pair. ` +
        `Keep one side with \`nbpipe sync --prefer text ${show(path)}\` or \`--prefer notebook\` (the other side's cell edits are lost), or make their cells agree by hand`;
      outcomes.push({ path, members, status: 'conflict', changed: [], message });
      continue;
    }
    const changed = plan.members.filter((m) => m.after !== m.before).map((m) => m.path);
    const outcome: SyncOutcome = {
      path,
      members,
      status: changed.length === 0 ? 'in-sync' : options.check ? 'out-of-sync' : 'updated',
      source: plan.source,
      changed,
      cells: changed.length > 0 ? cellCounts(plan.matches) : undefined,
    };
    outcomes.push(outcome);
    if (!options.check) pending.push({ outcome, planned: plan.members, record });
  }
  if (!options.check) {
    await applyPlans(pending, seen);
    await records.save();
  }
  return outcomes;
}

export interface PairOptions extends ProjectPairing {
  cwd?: string;
  /** The pairing to set, e.g. "ipynb,py:percent"; a single format unpairs. Unset: the notebook's or the project's. */
  formats?: string;
  /** Overwrite members whose cells differ from the notebook's (a .ipynb still keeps unchanged cells' outputs). */
  force?: boolean;
  check?: boolean;
}

/**
 * Pair the notebook at `path`: record `formats` in its metadata (as jupytext does; a project pairing is not
 * recorded, so the notebook follows the project) and write every other member from it. A member that exists
 * with different cells is reported as a conflict, unless `force`.
 */
export async function pairPath(path: string, options: PairOptions = {}): Promise<SyncOutcome> {
  const cwd = options.cwd ?? process.cwd();
  return relativeErrors(cwd, () => pairIn(cwd, path, options));
}

async function pairIn(cwd: string, path: string, options: PairOptions): Promise<SyncOutcome> {
  const show = (p: string) => relative(cwd, p) || p;
  const abs = resolve(cwd, path);
  const folder = await new SettingsCache(options).forFile(abs);
  const seen = new Map<string, number | undefined>();
  const read = diskReader(seen);
  const given = await read(abs);
  if (!given) throw Object.assign(new Error(`${abs}: no such file or directory`), { code: 'ENOENT', path: abs });
  const content = given.content;
  const own = fileFormat(abs);
  let notebook: Notebook;
  let members: PairedPath[];
  let setFormats: string | undefined;
  if (options.formats !== undefined) {
    notebook = readMember(abs, own, content, folder.formatOptions);
    const formats = resolvePairing(parsePairing(options.formats), notebook);
    if (formats.length === 0) throw new Error('--formats is empty; give e.g. ipynb,py:percent');
    members = pairedPaths(abs, formats, { ceiling: folder.ceiling });
    setFormats = formatPairing(formats);
  } else {
    const lookup = findPair(abs, content, {
      projectPairings: folder.pairings,
      formatOptions: folder.formatOptions,
      ceiling: folder.ceiling,
    });
    if (!lookup.paired)
      throw new Error(
        `${show(abs)}: no pairing to apply (${lookup.reason}); pass --formats (e.g. ipynb,py:percent), or set "pairing" in the nbpipe configuration or "formats" in jupytext.toml`,
      );
    ({ notebook, members } = lookup);
  }
  const states: SyncMember[] = [];
  for (const m of members)
    states.push({ path: m.path, format: m.format, ...(m.path === abs ? given : await read(m.path)) });
  // Existing members are read in the format they are in, which a new pairing may change (py:light → py:percent).
  const differing = options.force
    ? []
    : states.filter(
        (s) =>
          s.path !== abs &&
          s.content !== undefined &&
          !sameCells(readMember(s.path, fileFormat(s.path), s.content, folder.formatOptions), notebook),
      );
  const memberPaths = members.map((m) => m.path);
  if (differing.length > 0) {
    const others = differing.map((s) => show(s.path)).join(', ');
    return {
      path: abs,
      members: memberPaths,
      status: 'conflict',
      changed: [],
      message: `${others} already exist${differing.length === 1 ? 's' : ''} with cells that differ from ${show(abs)}; nothing was written. Pass --force to replace ${differing.length === 1 ? 'its' : 'their'} cells with those of ${show(abs)}`,
    };
  }
  const plan = planSync(states, { formatOptions: folder.formatOptions, source: { path: abs, notebook }, setFormats });
  if (plan.status === 'conflict') throw new Error(plan.message);
  const changed = plan.members.filter((m) => m.after !== m.before).map((m) => m.path);
  const outcome: SyncOutcome = {
    path: abs,
    members: memberPaths,
    status: changed.length === 0 ? 'in-sync' : options.check ? 'out-of-sync' : 'updated',
    source: abs,
    changed,
  };
  if (!options.check) {
    const records = new Records();
    await applyPlans([{ outcome, planned: plan.members, record: await records.get(abs) }], seen);
    await records.save();
  }
  return outcome;
}
