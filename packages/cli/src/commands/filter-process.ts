import type { CommandModule } from 'yargs';
import type { OutputCache, OutputCacheBounds } from '@nbpipe/git/output-cache';
import { restoreCellOutputs } from '@nbpipe/strip/restore-outputs';
import type { Stripper } from '@nbpipe/strip/strip';
import {
  decodeNotebookBytes,
  isNotebookError,
  parse as parseNotebook,
  serialize,
  type Notebook,
} from '@nbpipe/nbformat';
import { loadConfig } from '../config.js';
import type { GlobalArgs } from '../context.js';
import { describeError } from '../errors.js';
import { readStdin } from '../io.js';
import { Output } from '../output.js';

/**
 * The project's stripper for git's clean filter, or undefined when the configuration cannot be read: then notebooks
 * pass through unchanged (with a warning), since stripping with the wrong settings could drop outputs the project
 * keeps on purpose.
 */
async function projectStripper(out: Output, configPath?: string): Promise<Stripper | undefined> {
  const { createStripper } = await import('@nbpipe/strip/strip');
  try {
    const { config } = await loadConfig(process.cwd(), configPath);
    const stripper = createStripper(config.strip as Parameters<typeof createStripper>[0]);
    for (const warning of stripper.warnings) out.warn(warning);
    return stripper;
  } catch (e) {
    out.warn(`${describeError(e).message}; notebooks are committed unstripped until this is fixed`);
    return undefined;
  }
}

/**
 * Clean one file's content for git. A notebook nbpipe cannot read (invalid JSON, a cell contradicting its
 * keep_output tag, …) is committed unchanged with a warning on stderr: refusing would block `git add`, `status`
 * and `stash` for every file, and rewriting it could corrupt it. Anything else is an internal error and is thrown.
 * With a cache, the original is kept so that smudge can give its outputs back.
 */
function cleanContent(
  stripper: Stripper | undefined,
  content: Buffer,
  path: string,
  out: Output,
  cache?: OutputCache,
): Buffer | string {
  if (!stripper) return content;
  try {
    const stripped = Buffer.from(stripper.strip(content, path).text, 'utf8');
    if (cache && !stripped.equals(content)) cache.remember(path, stripped, content);
    return stripped;
  } catch (e) {
    if (isNotebookError(e) || (e as Error).name === 'StripError') {
      out.warn(`${(e as Error).message}; committed unchanged`);
      return content;
    }
    throw e;
  }
}

/** `candidate` when it strips to what `blob` strips to, i.e. it only adds what stripping removes. */
function stripsLike(stripper: Stripper, candidate: Buffer, blob: Buffer, path: string): boolean {
  try {
    return stripper.strip(candidate, path).text === stripper.strip(blob, path).text;
  } catch {
    return false;
  }
}

/** Notebooks parsed from `originals`, skipping any that no longer parse. */
function* parsedNotebooks(originals: Iterable<Buffer>, parse: (bytes: Buffer) => Notebook): Generator<Notebook> {
  for (const original of originals) {
    try {
      yield parse(original);
    } catch {
      // A damaged or foreign entry: the next one may still help.
    }
  }
}

/**
 * Smudge: the working-tree version `content` was stripped from here, when known; otherwise `content` with each
 * cell's outputs taken from this path's recent originals (restore-outputs.ts); otherwise `content` as it is. Either
 * way the result strips like `content`, so committed blobs and `git status` are unaffected.
 */
function smudgeContent(stripper: Stripper | undefined, content: Buffer, path: string, cache?: OutputCache): Buffer {
  if (!stripper || !cache) return content;
  const original = cache.recall(path, content);
  if (original && stripsLike(stripper, original, content, path)) return original;
  const parseBytes = (bytes: Buffer) => parseNotebook(decodeNotebookBytes(bytes, path), { path });
  try {
    const restored = restoreCellOutputs(parseBytes(content), parsedNotebooks(cache.recent(path), parseBytes));
    if (!restored) return content;
    // Written as Jupyter writes nbformat 4: an older version's blob then no longer strips alike and stays as it is.
    const text = Buffer.from(serialize(restored), 'utf8');
    if (!stripsLike(stripper, text, content, path)) return content;
    // The working copy now: checking this blob out again gives it back exactly.
    cache.rememberRestored(path, content, text);
    return text;
  } catch {
    // Not a Jupyter notebook (a Zeppelin note, a damaged file): only exact originals apply. A failed smudge would
    // fail the git command, so nothing here may throw.
    return content;
  }
}

/** The output cache's bounds, with the size from git config `nbpipe.outputCacheSize` (e.g. `512M`) when set. */
async function cacheBounds(root: string, out: Output): Promise<OutputCacheBounds> {
  const { getEffectiveGitConfig } = await import('@nbpipe/git');
  const { DEFAULT_OUTPUT_CACHE_BOUNDS } = await import('@nbpipe/git/output-cache');
  const { parseSize } = await import('@nbpipe/strip/strip');
  const size = await getEffectiveGitConfig(root, 'nbpipe.outputCacheSize');
  if (size === undefined) return DEFAULT_OUTPUT_CACHE_BOUNDS;
  try {
    return { ...DEFAULT_OUTPUT_CACHE_BOUNDS, maxBytes: parseSize(size) };
  } catch (e) {
    out.warn(`git config nbpipe.outputCacheSize: ${(e as Error).message}; using the default`);
    return DEFAULT_OUTPUT_CACHE_BOUNDS;
  }
}

/** Serve git's long-running filter protocol on stdin/stdout: clean strips, smudge restores this clone's outputs. */
export async function runFilterProcess(configPath?: string): Promise<number> {
  const { serveFilterProcess, findRepository } = await import('@nbpipe/git');
  const { OutputCache } = await import('@nbpipe/git/output-cache');
  const out = new Output(false, false, false);
  const stripper = await projectStripper(out, configPath);
  const repo = await findRepository(process.cwd());
  const cache = repo ? OutputCache.forGitDir(repo.commonDir, await cacheBounds(repo.root, out)) : undefined;
  await serveFilterProcess({
    input: process.stdin,
    output: process.stdout,
    clean: (request) => cleanContent(stripper, request.content, request.pathname, out, cache),
    smudge: (request) => smudgeContent(stripper, request.content, request.pathname, cache),
    onHandlerError: (request, e) => out.error(`${request.pathname}: cannot filter: ${describeError(e).message}`),
  });
  return 0;
}

/** The per-file clean filter (`filter.nbpipe.clean`, for git tools without the process protocol): stdin to stdout. */
export async function runCleanFilter(path: string): Promise<number> {
  const out = new Output(false, false, false);
  const stripper = await projectStripper(out);
  const content = Buffer.from(await readStdin());
  const cleaned = cleanContent(stripper, content, path, out);
  await new Promise<void>((resolve, reject) => process.stdout.write(cleaned, (e) => (e ? reject(e) : resolve())));
  return 0;
}

export const filterProcessCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'filter-process',
  describe: "Serve git's long-running filter protocol (filter.nbpipe.process, set up by `nbpipe install`)",
  builder: (y) => y.example('$0 filter-process', 'run by git; speaks pkt-line on stdin/stdout'),
  handler: async (argv) => {
    await runFilterProcess(argv.config);
  },
};
