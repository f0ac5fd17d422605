// The team test suite's world: a bare remote and clones of it, each set up with `nbpipe install` as a teammate would
// (README "Install"), driven only through git and the built CLI. Notebooks are "executed" by writing outputs into
// them the way Jupyter saves them, so the scenarios need no kernel; pipelines use the embedded python executor.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { nbpipe as runNbpipe, removeAfterTest, run, tempDir, type RunResult } from '../helpers.js';

export interface Cell {
  cell_type: string;
  id?: string;
  source: string | string[];
  outputs?: { output_type: string; name?: string; text?: string | string[] }[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}
export interface NotebookJson {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

const sourceOf = (cell: Cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);

/** A notebook as Jupyter writes it: one-space indent, keys in sorted order (as written here), a final newline. */
export function notebookText(
  cells: { type?: 'code' | 'markdown'; id: string; source: string; tags?: string[] }[],
): string {
  const nb: NotebookJson = {
    cells: cells.map(({ type = 'code', id, source, tags }) => {
      const metadata = tags ? { tags } : {};
      return type === 'code'
        ? { cell_type: 'code', execution_count: null, id, metadata, outputs: [], source: splitSource(source) }
        : { cell_type: 'markdown', id, metadata, source: splitSource(source) };
    }),
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(nb, null, 1) + '\n';
}

function splitSource(source: string): string[] {
  return source.split(/(?<=\n)/).filter((line) => line !== '');
}

/** The output Jupyter would show for a code cell here: one stdout line naming the person and the cell's first line. */
export function outputText(person: string, source: string): string {
  return `${person} ran: ${source.split('\n')[0]}\n`;
}

export interface Teammate {
  name: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** git, which must succeed. */
  git: (...args: string[]) => RunResult;
  /** git, which may fail (a conflicted merge, a refused commit). */
  tryGit: (...args: string[]) => RunResult;
  nbpipe: (...args: string[]) => RunResult;
  write: (path: string, text: string) => void;
  read: (path: string) => string;
  notebook: (path: string) => NotebookJson;
  /** A notebook as committed at `rev` (default HEAD). */
  committed: (path: string, rev?: string) => NotebookJson;
  /** Save `path` as Jupyter would after running every code cell (or those `which` selects). */
  execute: (path: string, which?: (source: string, index: number) => boolean) => void;
  /** Each cell's output texts, in order. */
  outputs: (path: string) => string[][];
  /** Replace a line in a text file or in a notebook cell's source, as an editor or Jupyter would. */
  edit: (path: string, from: string, to: string) => void;
  status: () => string;
}

function teammate(name: string, dir: string, home: string): Teammate {
  const env = {
    ...process.env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: `${name}@example.com`,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: `${name}@example.com`,
    GIT_EDITOR: 'true',
    GIT_MERGE_AUTOEDIT: 'no',
  };
  const git = (...args: string[]) => run('git', args, { cwd: dir, env });
  const tryGit = (...args: string[]) => run('git', args, { cwd: dir, env, allowFailure: true });
  const nbpipe = (...args: string[]) => runNbpipe(args, { cwd: dir, env });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  const notebook = (path: string) => JSON.parse(read(path)) as NotebookJson;
  const saveNotebook = (path: string, nb: NotebookJson) => write(path, JSON.stringify(nb, null, 1) + '\n');
  let count = 0;
  return {
    name,
    dir,
    env,
    git,
    tryGit,
    nbpipe,
    write,
    read,
    notebook,
    committed: (path, rev = 'HEAD') => JSON.parse(git('show', `${rev}:${path}`).stdout) as NotebookJson,
    execute: (path, which = () => true) => {
      const nb = notebook(path);
      nb.cells.forEach((cell, index) => {
        if (cell.cell_type !== 'code' || !which(sourceOf(cell), index)) return;
        cell.execution_count = ++count;
        cell.outputs = [{ name: 'stdout', output_type: 'stream', text: [outputText(name, sourceOf(cell))] }];
      });
      saveNotebook(path, nb);
    },
    outputs: (path) =>
      notebook(path).cells.map((cell) =>
        (cell.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''))),
      ),
    edit: (path, from, to) => {
      if (path.endsWith('.ipynb')) {
        const nb = notebook(path);
        const cell = nb.cells.find((c) => sourceOf(c).includes(from));
        expect(cell, `${name}: no cell of ${path} contains ${JSON.stringify(from)}`).toBeDefined();
        // Jupyter keeps a cell's outputs when its source is edited, until it is run again.
        cell!.source = splitSource(sourceOf(cell!).replace(from, to));
        saveNotebook(path, nb);
      } else {
        const text = read(path);
        expect(text, `${name}: ${path} does not contain ${JSON.stringify(from)}`).toContain(from);
        write(path, text.replace(from, to));
      }
    },
    status: () => git('status', '--porcelain').stdout,
  };
}

export interface Team {
  remote: string;
  /** Clone the remote as a new teammate and run `nbpipe install` in the clone, as the README tells a teammate to. */
  join: (name: string) => Teammate;
}

/**
 * A bare remote whose first commit is made by `founder` from `files` after `nbpipe install` and whatever `prepare`
 * does (pairing, say), pushed to main.
 */
export function startTeam(
  files: Record<string, string>,
  prepare: (founder: Teammate) => void = () => {},
): Team & { founder: Teammate } {
  const { dir: root, cleanup } = tempDir('nbpipe-team-');
  removeAfterTest(cleanup);
  const remote = join(root, 'origin.git');
  run('git', ['init', '-q', '--bare', '-b', 'main', remote]);
  const join_ = (name: string, clone = true): Teammate => {
    const home = join(root, `home-${name}`);
    mkdirSync(home, { recursive: true });
    const dir = join(root, name);
    if (clone)
      run('git', ['clone', '-q', remote, dir], { env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1' } });
    else run('git', ['init', '-q', '-b', 'main', dir]);
    const person = teammate(name, dir, home);
    const install = person.nbpipe('install', '--quiet');
    expect(install.code, install.stderr).toBe(0);
    if (!clone) person.git('remote', 'add', 'origin', remote);
    return person;
  };
  const founder = join_('founder', false);
  for (const [path, text] of Object.entries(files)) founder.write(path, text);
  prepare(founder);
  founder.git('add', '-A');
  founder.git('commit', '-q', '-m', 'start the project');
  founder.git('push', '-q', '-u', 'origin', 'main');
  return { remote, founder, join: (name) => join_(name) };
}

/** Names of the tasks a `nbpipe run` output says it ran. */
export function ranTasks(result: RunResult): string[] {
  return [...(result.stdout + result.stderr).matchAll(/^✓ (\S+)/gm)].map((m) => m[1]!).sort();
}

/** Every code cell of a committed notebook has no output and no execution count. */
export function expectStripped(nb: NotebookJson): void {
  for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
    expect(cell.outputs, sourceOf(cell)).toEqual([]);
    expect(cell.execution_count ?? null).toBeNull();
  }
}

/** No conflict marker of git's or nbpipe's in `text`. */
export function expectNoMarkers(text: string): void {
  expect(text).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
  expect(text).not.toMatch(/"(<<<<<<<|=======|>>>>>>>)/);
}

export { sourceOf };
