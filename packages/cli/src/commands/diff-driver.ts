import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { blobContent, isKnownOid } from '../committed-content.js';
import type { GlobalArgs } from '../context.js';
import { CliError, describeError } from '../errors.js';
import { notebookDiff, parseBytes } from '../notebook-diff.js';
import { Output } from '../output.js';

interface Args extends GlobalArgs {
  args: string[];
}

/** The arguments git passes to an external diff command (`diff.<driver>.command`, GIT_EXTERNAL_DIFF). */
export type ExternalDiffArgs =
  | {
      kind: 'diff';
      /** Path in the repository (the old path for a rename). */
      path: string;
      /** File holding the old version; undefined when the file was added. */
      oldFile?: string;
      /** The old version's blob id as git gives it (all zeros when git has not hashed it). */
      oldOid?: string;
      /** File holding the new version; undefined when the file was deleted. */
      newFile?: string;
      /** The new version's blob id, as for oldOid. */
      newOid?: string;
      /** For a rename or copy: the new path. */
      newPath?: string;
    }
  | { kind: 'unmerged'; path: string };

/** `/dev/null` (and `nul` on Windows) stand for a missing side. */
const isNullFile = (file: string) => file === '/dev/null' || file.toLowerCase() === 'nul';

/**
 * Parse git's external-diff arguments: `path old-file old-hex old-mode new-file new-hex new-mode [new-path info]`,
 * or the single `path` of an unmerged file. Returns undefined for any other count. (The modes carry nothing a notebook
 * diff shows.)
 */
export function parseExternalDiffArgs(args: readonly string[]): ExternalDiffArgs | undefined {
  if (args.length === 1) return { kind: 'unmerged', path: args[0]! };
  if (args.length !== 7 && args.length !== 9) return undefined;
  const [path, oldFile, oldOid, , newFile, newOid, , newPath] = args as string[];
  return {
    kind: 'diff',
    path: path!,
    oldFile: isNullFile(oldFile!) ? undefined : oldFile,
    oldOid: isNullFile(oldFile!) ? undefined : oldOid,
    newFile: isNullFile(newFile!) ? undefined : newFile,
    newOid: isNullFile(newFile!) ? undefined : newOid,
    newPath: newPath !== undefined && newPath !== path ? newPath : undefined,
  };
}

/** Write to stdout and wait until it is flushed (git reads the driver's output through a pipe). */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
}

/** Where a driver runs: its folder, environment and whether its stdout is a terminal (git's, or a client's). */
export interface DriverContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
}

const thisProcess = (): DriverContext => ({
  cwd: process.cwd(),
  env: process.env,
  stdoutIsTTY: Boolean(process.stdout.isTTY),
});

/**
 * Colour as git would colour its own diff: git runs external diffs with stdout on its pager (GIT_PAGER_IN_USE) or on
 * the terminal, and `color.diff`/`color.ui` decide; NO_COLOR and FORCE_COLOR win, as everywhere in nbpipe.
 */
export function gitWantsColor({ cwd, env, stdoutIsTTY }: DriverContext = thisProcess()): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  const terminal = stdoutIsTTY || env.GIT_PAGER_IN_USE === 'true';
  if (!terminal) return false;
  const r = spawnSync('git', ['config', '--get-colorbool', 'color.diff', 'true'], { cwd, env, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() === 'true' : stdoutIsTTY;
}

/**
 * Git's own plain diff of two files, for input that is not a readable notebook. Its header names the repository paths,
 * not the temporary files git wrote the blobs to (which `git diff --no-index` would show).
 */
function plainDiff(
  oldFile: string | undefined,
  newFile: string | undefined,
  path: string,
  newPath: string,
  color: boolean,
): string {
  const r = spawnSync(
    'git',
    [
      'diff',
      '--no-index',
      '--no-ext-diff',
      '--no-textconv',
      `--color=${color ? 'always' : 'never'}`,
      '--',
      oldFile ?? '/dev/null',
      newFile ?? '/dev/null',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  if (r.error) throw r.error;
  // git drops the leading slash of an absolute path after its a/ and b/ prefixes.
  const renames: [string, string][] = [];
  for (const [file, name] of [
    [oldFile, path],
    [newFile, newPath],
  ] as const)
    if (file !== undefined)
      for (const prefix of ['a/', 'b/']) renames.push([prefix + file.replace(/^\/+/, ''), prefix + name]);
  const lines = r.stdout.split('\n');
  // The header ends at the first hunk (escape codes first when coloured).
  for (let i = 0; i < lines.length && !/^(\x1b\[[\d;]*m)*@@/.test(lines[i]!); i++)
    for (const [from, to] of renames) lines[i] = lines[i]!.replaceAll(from, to);
  return lines.join('\n');
}

/**
 * What the driver prints for one file pair git hands it (paths relative to `cwd`). Between blobs: the blobs git names,
 * whatever file it hands in their place (blobContent). Against the work tree's own file (a side git has not hashed),
 * the other side is left as git wrote it, smudged with this clone's outputs, so that only what changed in the work
 * tree shows. Throws, naming the file, when a side is not a readable notebook.
 */
export async function externalDiffText(
  parsed: Extract<ExternalDiffArgs, { kind: 'diff' }>,
  color: boolean,
  cwd = process.cwd(),
): Promise<string> {
  const newPath = parsed.newPath ?? parsed.path;
  const blobsOnly = [
    parsed.oldFile === undefined || isKnownOid(parsed.oldOid),
    parsed.newFile === undefined || isKnownOid(parsed.newOid),
  ].every(Boolean);
  const readSide = async (file: string | undefined, oid: string | undefined, path: string, label: string) => {
    if (file === undefined) return undefined;
    const bytes = await readFile(resolve(cwd, file));
    return parseBytes(blobsOnly ? await blobContent(bytes, oid, path, cwd) : bytes, label);
  };
  const before = await readSide(parsed.oldFile, parsed.oldOid, parsed.path, `${parsed.path} (old)`);
  const after = await readSide(parsed.newFile, parsed.newOid, newPath, `${newPath} (new)`);
  const { empty, text } = await notebookDiff(
    { label: before ? `a/${parsed.path}` : '/dev/null', notebook: before },
    { label: after ? `b/${newPath}` : '/dev/null', notebook: after },
    {},
    color,
  );
  return empty
    ? `--- a/${parsed.path}\n+++ b/${newPath}\n## no change to cells, outputs or metadata: only the JSON layout differs\n`
    : text;
}

/**
 * Git's external diff (`diff.nbpipe.command`): 7 arguments (9 for a rename), or 1 for an unmerged path. Always exits
 * 0 on notebooks, since any other status makes git stop with "external diff died"; an unreadable notebook gets a
 * one-line warning and git's plain diff instead.
 */
export async function runDiffDriver(args: readonly string[], color = gitWantsColor()): Promise<void> {
  const parsed = parseExternalDiffArgs(args);
  if (!parsed) throw new CliError(`diff-driver takes git's 7 external-diff arguments (or 9, or 1), got ${args.length}`);
  if (parsed.kind === 'unmerged') {
    await writeStdout(`* Unmerged path ${parsed.path}\n`);
    return;
  }
  let text: string;
  try {
    text = await externalDiffText(parsed, color);
  } catch (e) {
    new Output().warn(`${describeError(e).message}; showing a plain diff`);
    text = plainDiff(parsed.oldFile, parsed.newFile, parsed.path, parsed.newPath ?? parsed.path, color);
  }
  await writeStdout(text);
}

export const diffDriverCommand: CommandModule<GlobalArgs, Args> = {
  command: 'diff-driver <args..>',
  describe:
    "git's external diff for notebooks (diff.nbpipe.command, set by `nbpipe install`): path old-file old-hex old-mode new-file new-hex new-mode",
  builder: (y) =>
    y
      .positional('args', { type: 'string', array: true, demandOption: true, describe: 'the arguments git appends' })
      .example("GIT_EXTERNAL_DIFF='nbpipe diff-driver' git diff", 'use it for one command without installing'),
  handler: async (argv) => runDiffDriver(argv.args.map(String), argv.color ?? gitWantsColor()),
};
