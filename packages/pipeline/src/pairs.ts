import { dirname, join, relative, sep } from 'node:path';
import { findJupytextConfigFile } from '@nbpipe/sync/config-file';
import type { ProjectPairing } from '@nbpipe/sync';
import { TaskFailure } from './executors/job.js';

/**
 * A notebook source paired with other files (`nbpipe pair`): the members are one source for the
 * runner, so editing any of them changes the task, and a run takes the cells of the member that was
 * edited (README "nbpipe run").
 */
export interface SourcePair {
  /** Every member, relative to the root, in the pairing's order. */
  members: string[];
  /**
   * `in-sync`: the members' cells agree; `out-of-sync`: `from` was edited since the last sync;
   * `conflict`: two members changed their cells differently (`message` says which).
   */
  status: 'in-sync' | 'out-of-sync' | 'conflict';
  /** The member whose cells the task runs: the edited one, else the task's source. */
  from: string;
  message?: string;
}

/**
 * Whether a notebook source's text names jupytext formats (its header or metadata's `formats`): only such a source,
 * or one in a folder with a project pairing, can be paired; others are not read as notebooks.
 */
export function namesFormats(text: Buffer): boolean {
  return text.includes('formats');
}

/**
 * The pairs of notebook sources (relative to `root`), found and compared as `nbpipe sync --check`
 * does (the notebook's `jupytext.formats`, the project's `pairing`, jupytext.toml / pyproject.toml,
 * and the record of the last sync). Unpaired sources are left out. `sourceNamesFormats` tells
 * `namesFormats` of a source (the loader remembers it by blob id, so unchanged sources are not read).
 */
export async function findSourcePairs(
  root: string,
  sources: string[],
  pairing: ProjectPairing,
  sourceNamesFormats: (source: string) => boolean,
): Promise<Map<string, SourcePair>> {
  const found = new Map<string, SourcePair>();
  if (sources.length === 0) return found;
  // Most pipelines pair nothing: without a project pairing, a source that names formats, or a jupytext configuration
  // in a source's folder, nothing can be paired, and the pairing code (with the codec and its YAML parser) is not
  // loaded (scripts/startup-rules.mjs).
  if (pairing.pairing === undefined && !sources.some(sourceNamesFormats)) {
    const folders = [...new Set(sources.map((source) => dirname(join(root, source))))];
    const configs = await Promise.all(folders.map((folder) => findJupytextConfigFile(folder, pairing.env)));
    if (configs.every((config) => config === undefined)) return found;
  }
  const { SettingsCache, syncPaths } = await import('@nbpipe/sync');
  const settings = new SettingsCache(pairing);
  const candidates: string[] = [];
  for (const source of new Set(sources)) {
    const folderPairings = (await settings.forFile(join(root, source))).pairings.length;
    if (folderPairings > 0 || sourceNamesFormats(source)) candidates.push(source);
  }
  if (candidates.length === 0) return found;
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const outcomes = await syncPaths(candidates, { ...pairing, cwd: root, check: true });
  for (const outcome of outcomes) {
    if (outcome.status === 'unpaired') continue;
    const members = outcome.members.map(rel);
    const status =
      outcome.status === 'conflict' ? 'conflict' : outcome.status === 'in-sync' ? 'in-sync' : 'out-of-sync';
    const edited = status === 'out-of-sync' && outcome.source ? rel(outcome.source) : undefined;
    // Every member that is a task source gets the pair; each runs the edited member's cells.
    for (const source of candidates)
      if (members.includes(source))
        found.set(source, {
          members,
          status,
          from: edited ?? source,
          ...(outcome.message ? { message: outcome.message } : {}),
        });
  }
  return found;
}

/**
 * Before a task runs the cells of another member (`from`), sync the pair the way `nbpipe sync` does,
 * so the task's source holds them; a pair whose members changed differently is refused (the error
 * says how to settle it). Returns whether files were written.
 */
export async function syncSourcePair(
  root: string,
  source: string,
  pair: SourcePair,
  pairing: ProjectPairing,
): Promise<boolean> {
  if (pair.status === 'in-sync' || (pair.status === 'out-of-sync' && pair.from === source)) return false;
  const { syncPaths } = await import('@nbpipe/sync');
  const [outcome] = await syncPaths([source], { ...pairing, cwd: root });
  if (outcome?.status === 'conflict')
    throw new TaskFailure(outcome.message ?? `${pair.members.join(' and ')} changed differently`);
  return outcome?.status === 'updated';
}
