import { createHash } from 'node:crypto';
import { NotebookError, parse, serialize, type Cell, type JsonObject, type Notebook } from '@nbpipe/nbformat';
import { formatToString, notebookForIpynb, notebookToText, textToNotebook } from '../formats/index.js';
import { combineInputsAndOutputs, type CellMatch } from './combine.js';
import type { PairedFormat } from './formats-list.js';

/** jupytext's options of the text formats (`notebook_metadata_filter`, `cell_markers`, …), e.g. from jupytext.toml. */
export type TextFormatOptions = Record<string, unknown>;

/** One member of a pair as the caller found it: on disk, or staged in git's index. */
export interface SyncMember {
  path: string;
  /** Its format in the pairing (no `auto` left). */
  format: PairedFormat;
  /** Its current content; undefined when the file does not exist yet. */
  content?: string;
  /** Modification time in ms; the newest member is the source. Infinity ranks first (e.g. a staged file). */
  mtime?: number;
  /** The digest of its cells (`inputsDigest`) when the pair was last synced, if known. */
  lastSynced?: string;
  /**
   * The digest of its cells in the committed (HEAD) version, if known. A member that matches it has not been
   * edited since, even when it differs from `lastSynced`: git moved it (switch, merge, reset), not the user.
   */
  committed?: string;
  /** `content` already read in this member's format (saves reading it twice). */
  notebook?: Notebook;
}

export interface PlanSyncOptions {
  /** Format options for reading and writing the text members (the project's jupytext configuration). */
  formatOptions?: TextFormatOptions;
  /**
   * Take this member as the source whatever the timestamps and however the others changed, e.g. the file
   * named to `nbpipe pair`, or the side chosen to resolve a conflict. `notebook` overrides its content.
   */
  source?: { path: string; notebook?: Notebook };
  /** Record this pairing in the notebook's `jupytext.formats` (`null` removes it); unset: leave it as it is. */
  setFormats?: string | null;
  /** On a conflict, take the newest text member (`text`) or the .ipynb (`notebook`) as the source. */
  prefer?: 'text' | 'notebook';
}

/** What a member should become. */
export interface PlannedMember {
  path: string;
  format: PairedFormat;
  /** Content before, undefined if the file does not exist. */
  before?: string;
  /** Content after the sync. */
  after: string;
  /** The digest of its cells after the sync, to remember as `lastSynced`. */
  digest: string;
}

export type SyncPlan =
  | {
      status: 'synced';
      /** The member whose cells were taken. */
      source: string;
      members: PlannedMember[];
      /** For a text source with a .ipynb: how each cell was matched to the .ipynb's cells. */
      matches?: CellMatch[];
    }
  | {
      status: 'conflict';
      /** The two members whose cells both changed since the last sync, newest first. */
      paths: [string, string];
      message: string;
    };

const isNotebookFile = (format: PairedFormat) => format.extension === '.ipynb';

/** A digest of a notebook's inputs: the type and source of each cell. Two members agree when their digests do. */
export function inputsDigest(nb: Notebook): string {
  const hash = createHash('sha256');
  for (const cell of nb.cells) hash.update(`${cell.cell_type}\0${cell.source.length}\0${cell.source}\0`);
  return hash.digest('hex').slice(0, 32);
}

/** Read a member's content as a notebook in its format; bad input is a NotebookError naming the file. */
export function readMember(
  path: string,
  format: PairedFormat,
  content: string,
  formatOptions?: TextFormatOptions,
): Notebook {
  if (isNotebookFile(format)) return parse(content, { path });
  try {
    return textToNotebook(content, format, { formatOptions });
  } catch (e) {
    if (e instanceof NotebookError) throw e;
    throw new NotebookError('INVALID', `cannot read as ${formatToString(format)}: ${(e as Error).message}`, path);
  }
}

/** The text members' format options that shaped what the text shows (filters, marker styles), from its metadata. */
function textOptionsOf(nb: Notebook): JsonObject {
  const jupytext = nb.metadata.jupytext;
  if (!jupytext || typeof jupytext !== 'object' || Array.isArray(jupytext)) return {};
  const { text_representation: _representation, formats: _formats, ...options } = jupytext as JsonObject;
  return options;
}

/** The .ipynb written as the text member, with the text's own options (filters, markers). */
function ipynbAsText(
  outputs: Notebook,
  text: Notebook,
  format: PairedFormat,
  formatOptions?: TextFormatOptions,
): string {
  const jupytext = outputs.metadata.jupytext;
  const own = jupytext && typeof jupytext === 'object' && !Array.isArray(jupytext) ? jupytext : {};
  const shaped: Notebook = {
    ...outputs,
    metadata: { ...outputs.metadata, jupytext: { ...own, ...textOptionsOf(text) } },
  };
  return notebookToText(shaped, format, { formatOptions });
}

function withFormats(nb: Notebook, formats: string | null): Notebook {
  const jupytext = nb.metadata.jupytext;
  const rest: JsonObject =
    jupytext && typeof jupytext === 'object' && !Array.isArray(jupytext) ? { ...(jupytext as JsonObject) } : {};
  if (formats === null) delete rest.formats;
  else {
    rest.formats = formats;
    // Like jupytext: a text without a header gets one, so that the pairing shows in it.
    if (rest.notebook_metadata_filter === '-all') delete rest.notebook_metadata_filter;
  }
  const metadata = { ...nb.metadata };
  if (Object.keys(rest).length > 0) metadata.jupytext = rest;
  else delete metadata.jupytext;
  return { ...nb, metadata };
}

/** Cells equal up to trailing spaces and surrounding blank lines: members that agree although their formats differ. */
export function sameCells(a: Notebook, b: Notebook): boolean {
  const loose = (s: string) => s.replace(/[ \t]+$/gm, '').replace(/^\n+|\n+$/g, '');
  return (
    a.cells.length === b.cells.length &&
    a.cells.every((c, i) => c.cell_type === b.cells[i]!.cell_type && loose(c.source) === loose(b.cells[i]!.source))
  );
}

/**
 * Whether two readings of a member are the same notebook: same cells, metadata and outputs, leaving aside the
 * header's `text_representation` and, for texts, the cell ids that a text does not hold.
 */
function sameNotebook(a: Notebook, b: Notebook | string, withIds: boolean): boolean {
  const canonical = (nb: Notebook) => {
    const plain = notebookForIpynb(nb);
    return serialize(withIds ? plain : { ...plain, cells: plain.cells.map(({ id: _id, ...cell }) => cell as Cell) });
  };
  return canonical(a) === (typeof b === 'string' ? b : canonical(b));
}

/**
 * Whether a member's cells were edited since the last sync: they differ from the record and from the committed
 * version. A member back at its committed version was put there by git (a checkout, merge or reset with a
 * record from another branch) or holds what git keeps anyway, so taking the other member's cells loses nothing.
 */
function editedSinceSync(m: SyncMember, nb: Notebook): boolean {
  if (m.lastSynced === undefined) return false;
  const digest = inputsDigest(nb);
  return digest !== m.lastSynced && digest !== m.committed;
}

/** Newest first; on equal times a text member before the .ipynb, then the order of the pairing (jupytext's rule). */
function byRecency(a: { m: SyncMember; index: number }, b: { m: SyncMember; index: number }): number {
  const ta = a.m.mtime ?? 0;
  const tb = b.m.mtime ?? 0;
  if (ta !== tb) return tb - ta;
  const na = isNotebookFile(a.m.format) ? 1 : 0;
  const nb = isNotebookFile(b.m.format) ? 1 : 0;
  return na - nb || a.index - b.index;
}

/**
 * Decide what every member of a pair should contain. Pure: the caller reads the files (or git blobs) and
 * writes the `after` of each member whose content changes.
 *
 * The source: the member named in `options.source`; else, when the last sync is known (`lastSynced`), the newest
 * member whose cells were edited since (`editedSinceSync`) — two members edited differently are a conflict; else the newest
 * member, a text winning a tie. A text source gives the cells; the .ipynb keeps the outputs, ids and hidden
 * metadata of every cell whose source is unchanged (combineInputsAndOutputs). A source is not rewritten unless
 * its pairing metadata changes.
 */
export function planSync(members: readonly SyncMember[], options: PlanSyncOptions = {}): SyncPlan {
  const { formatOptions } = options;
  const present = members.map((m, index) => ({ m, index })).filter(({ m }) => m.content !== undefined);
  const notebooks = new Map<string, Notebook>();
  for (const { m } of present) {
    if (options.source?.path === m.path && options.source.notebook) notebooks.set(m.path, options.source.notebook);
    else notebooks.set(m.path, m.notebook ?? readMember(m.path, m.format, m.content!, formatOptions));
  }
  if (options.source?.notebook && !notebooks.has(options.source.path))
    notebooks.set(options.source.path, options.source.notebook);

  let sourcePath = options.source?.path;
  if (sourcePath === undefined) {
    const changed = present.filter(({ m }) => editedSinceSync(m, notebooks.get(m.path)!)).sort(byRecency);
    const newest = changed[0];
    const disagreeing =
      newest && changed.slice(1).find(({ m }) => !sameCells(notebooks.get(m.path)!, notebooks.get(newest.m.path)!));
    let chosen = newest ?? [...present].sort(byRecency)[0];
    if (newest && disagreeing) {
      if (!options.prefer)
        return {
          status: 'conflict',
          paths: [newest.m.path, disagreeing.m.path],
          message: `${newest.m.path} and ${disagreeing.m.path} both changed their cells since the last sync, differently; nothing was written. Keep one side with --prefer text or --prefer notebook (the other side's cell edits are lost), or make them agree by hand`,
        };
      const wantNotebook = options.prefer === 'notebook';
      chosen = changed.find(({ m }) => isNotebookFile(m.format) === wantNotebook) ?? chosen;
    }
    if (!chosen) throw new NotebookError('INVALID', 'no member of the pair exists', members[0]?.path);
    sourcePath = chosen.m.path;
  }

  const sourceMember = members.find((m) => m.path === sourcePath);
  if (!sourceMember) throw new NotebookError('INVALID', 'is not a member of the pair', sourcePath);
  const sourceNb = notebooks.get(sourcePath)!;
  const ipynbMember = members.find((m) => isNotebookFile(m.format) && notebooks.has(m.path));
  let result: Notebook;
  let matches: CellMatch[] | undefined;
  if (isNotebookFile(sourceMember.format)) result = sourceNb;
  else if (ipynbMember) {
    const outputs = notebooks.get(ipynbMember.path)!;
    const asText = ipynbAsText(outputs, sourceNb, sourceMember.format, formatOptions);
    if (asText === sourceMember.content)
      result = outputs; // the text says nothing the .ipynb does not
    else {
      // What the trip through the text loses (filtered metadata) is what the text cannot have changed.
      const visible = textToNotebook(asText, sourceMember.format, { formatOptions });
      ({ notebook: result, matches } = combineInputsAndOutputs(sourceNb, outputs, { visible }));
    }
  } else result = notebookForIpynb(sourceNb);
  if (options.setFormats !== undefined) result = withFormats(result, options.setFormats);
  const rewriteSource = options.setFormats !== undefined || sourceMember.content === undefined;

  const planned = members.map((m): PlannedMember => {
    const current = notebooks.get(m.path);
    const unchanged = (): PlannedMember => ({
      path: m.path,
      format: m.format,
      before: m.content,
      after: m.content!,
      digest: inputsDigest(current!),
    });
    if (m.path === sourcePath && !rewriteSource) return unchanged();
    if (isNotebookFile(m.format)) {
      const nb = notebookForIpynb(result);
      const after = serialize(nb);
      // A member that already holds this notebook is left alone whatever its bytes (another tool's indentation,
      // a header from another jupytext version): syncing must not churn files.
      if (current && (after === m.content || sameNotebook(current, after, true))) return unchanged();
      return { path: m.path, format: m.format, before: m.content, after, digest: inputsDigest(nb) };
    }
    const after = notebookToText(result, m.format, { formatOptions });
    if (after === m.content) return unchanged();
    const reread = textToNotebook(after, m.format, { formatOptions });
    if (current && sameNotebook(current, reread, false)) return unchanged();
    return { path: m.path, format: m.format, before: m.content, after, digest: inputsDigest(reread) };
  });
  return { status: 'synced', source: sourcePath, members: planned, ...(matches ? { matches } : {}) };
}
