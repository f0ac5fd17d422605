import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError, describeError } from '../errors.js';
import { readNotebook } from '../io.js';
import { notebookDiff, parseBytes, type DiffSelection } from '../notebook-diff.js';

interface Args extends GlobalArgs {
  paths: string[];
  sourcesOnly?: boolean;
  outputs: boolean;
  metadata: boolean;
  ids: boolean;
  json?: boolean;
  exitCode?: boolean;
}

/** `nbpipe diff A B`: both arguments are files (or `-`); anything else is a git-style diff against HEAD. */
async function isFilePair(paths: readonly string[]): Promise<boolean> {
  if (paths.length !== 2) return false;
  for (const p of paths) {
    if (p === '-') continue;
    const info = await stat(p).catch(() => undefined);
    if (!info?.isFile()) return false;
  }
  return true;
}

/**
 * The first argument that names nothing — no file or folder here, no path git knows (in the index or HEAD,
 * globs included), no ref — which as a pathspec would silently match nothing.
 */
async function unknownArgument(cwd: string, paths: readonly string[]): Promise<string | undefined> {
  const { runGit } = await import('@nbpipe/git');
  for (const p of paths) {
    if (
      p === '-' ||
      (await stat(resolve(cwd, p)).then(
        () => true,
        () => false,
      ))
    )
      continue;
    if ((await runGit(['ls-files', '--error-unmatch', '--with-tree=HEAD', '--', p], { cwd })).code === 0) continue;
    if ((await runGit(['rev-parse', '--verify', '--quiet', `${p}^{commit}`], { cwd })).code === 0) continue;
    return p;
  }
  return undefined;
}

function selectionFrom(argv: Args): DiffSelection {
  if (argv.sourcesOnly) return { sources: true, outputs: false, metadata: false, ids: false };
  return { sources: true, outputs: argv.outputs, metadata: argv.metadata, ids: argv.ids };
}

export const diffCommand: CommandModule<GlobalArgs, Args> = {
  command: 'diff [paths..]',
  describe:
    'Cell-level diff of two notebooks, or of changed notebooks in the working tree against HEAD (like git diff). ' +
    'Exit 0 whether or not they differ (1 with --exit-code when they do); 2 on unreadable input',
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        default: [],
        describe: 'two notebooks, or paths limiting the git diff',
      })
      .option('sources-only', {
        type: 'boolean',
        describe: 'compare cell sources only (same as --no-outputs --no-metadata --no-ids)',
      })
      .option('outputs', {
        type: 'boolean',
        default: true,
        describe: 'compare outputs and execution counts (--no-outputs to skip)',
      })
      .option('metadata', {
        type: 'boolean',
        default: true,
        describe: 'compare notebook and cell metadata (--no-metadata to skip)',
      })
      .option('ids', { type: 'boolean', default: true, describe: 'compare cell ids (--no-ids to skip)' })
      .option('json', { type: 'boolean', describe: 'print the structured diff as JSON, for tools' })
      .option('exit-code', { type: 'boolean', describe: 'exit 1 when there are differences, like diff(1)' })
      .example('$0 diff before.ipynb after.ipynb', 'compare two notebooks')
      .example('$0 diff', 'every changed notebook in the working tree against HEAD')
      .example('$0 diff notebooks/ --sources-only', 'only code and text changes, under a folder'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const selection = selectionFrom(argv);
    const color = ctx.out.color.isColorSupported && !argv.json;
    const { findRepository, changedFiles, readFilesAtRevision } = await import('@nbpipe/git');
    const repo = (await isFilePair(argv.paths)) ? undefined : await findRepository(ctx.cwd);
    if (!repo) {
      // Outside a repository two arguments are a pair even if one is missing: reading it names the problem.
      if (argv.paths.length !== 2)
        throw new CliError(
          `not inside a git working tree (${ctx.cwd}): give two notebooks to compare, or run inside a repository`,
        );
      const [a, b] = argv.paths as [string, string];
      const from = { label: a === '-' ? '<stdin>' : a, notebook: (await readNotebook(a)).notebook };
      const to = { label: b === '-' ? '<stdin>' : b, notebook: (await readNotebook(b)).notebook };
      const result = await notebookDiff(from, to, selection, color);
      if (argv.json) ctx.out.print(JSON.stringify(result.json, null, 1));
      else if (!result.empty) ctx.out.print(result.text);
      if (argv.exitCode && !result.empty) process.exitCode = 1;
      return;
    }
    const unknown = await unknownArgument(ctx.cwd, argv.paths);
    if (unknown !== undefined) throw new CliError(`${unknown}: no such file, nor a path or ref known to git`);
    const changed = (await changedFiles(repo, { cwd: ctx.cwd, pathspecs: argv.paths })).filter((f) =>
      f.path.endsWith('.ipynb'),
    );
    const committed = await readFilesAtRevision(
      repo,
      'HEAD',
      changed.filter((f) => f.status !== 'added').map((f) => f.path),
    );
    const results: { path: string; status: string; diff: unknown }[] = [];
    let unreadable = 0;
    let different = false;
    for (const file of changed) {
      try {
        const head = committed.get(file.path);
        const before = head && parseBytes(head, `${file.path} (HEAD)`);
        const after =
          file.status === 'deleted' ? undefined : parseBytes(await readFile(join(repo.root, file.path)), file.path);
        const result = await notebookDiff(
          { label: before ? `a/${file.path}` : '/dev/null', notebook: before },
          { label: after ? `b/${file.path}` : '/dev/null', notebook: after },
          selection,
          color,
        );
        if (result.empty) continue;
        different = true;
        if (argv.json) results.push({ path: file.path, status: file.status, diff: result.json });
        else ctx.out.print(result.text);
      } catch (e) {
        unreadable++;
        ctx.out.error(describeError(e).message);
      }
    }
    if (argv.json) ctx.out.print(JSON.stringify(results, null, 1));
    if (unreadable > 0) process.exitCode = 2;
    else if (argv.exitCode && different) process.exitCode = 1;
  },
};
