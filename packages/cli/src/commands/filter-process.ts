import type { CommandModule } from 'yargs';
import type { OutputCache } from '@nbpipe/hooks/output-cache';
import type { Stripper } from '@nbpipe/hooks/strip';
import { isNotebookError } from '@nbpipe/nbformat';
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
  const { createStripper } = await import('@nbpipe/hooks/strip');
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
function cleanContent(stripper: Stripper | undefined, content: Buffer, path: string, out: Output, cache?: OutputCache): Buffer | string {
  if (!stripper) return content;
  try {
    const stripped = Buffer.from(stripper.strip(content, path).text, 'utf8');
    if (cache && !stripped.equals(content)) cache.remember(stripped, content);
    return stripped;
  } catch (e) {
    if (isNotebookError(e) || (e as Error).name === 'StripError') {
      out.warn(`${(e as Error).message}; committed unchanged`);
      return content;
    }
    throw e;
  }
}

/** Smudge: the blob as it is, or the working-tree version it was stripped from here, when that strips to it exactly. */
function smudgeContent(stripper: Stripper | undefined, content: Buffer, path: string, cache?: OutputCache): Buffer {
  const original = stripper && cache?.recall(content);
  if (!original) return content;
  try {
    return Buffer.from(stripper.strip(original, path).text, 'utf8').equals(content) ? original : content;
  } catch {
    return content;
  }
}

/** Serve git's long-running filter protocol on stdin/stdout: clean strips, smudge restores this clone's outputs. */
export async function runFilterProcess(configPath?: string): Promise<number> {
  const { serveFilterProcess, findRepository } = await import('@nbpipe/git');
  const { OutputCache } = await import('@nbpipe/hooks/output-cache');
  const out = new Output(false, false, false);
  const stripper = await projectStripper(out, configPath);
  const repo = await findRepository(process.cwd());
  const cache = repo ? OutputCache.forGitDir(repo.commonDir) : undefined;
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
