import { spawn } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** A failure talking to git, described in one line (git missing, not a repository, a failed command). */
export class GitError extends Error {
  override readonly name = 'GitError';
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunGitOptions {
  cwd: string;
  input?: string | Uint8Array;
  env?: NodeJS.ProcessEnv;
}

/** Run `git <args>`; resolves with its exit code and output whatever the code. Throws GitError only when git cannot start. */
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new GitError(e.code === 'ENOENT' ? 'git is not installed or not on PATH' : `cannot run git: ${e.message}`),
      ),
    );
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? 128,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8').trim(),
      }),
    );
    // git may exit before reading all of its input (e.g. on a bad argument); the exit code reports that.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Run git and return its stdout as text; a non-zero exit becomes a GitError with git's own message. */
export async function gitOutput(args: readonly string[], options: RunGitOptions): Promise<string> {
  const r = await runGit(args, options);
  if (r.code !== 0)
    throw new GitError(r.stderr.replace(/^(fatal|error): /, '') || `git ${args[0]} failed (exit ${r.code})`);
  return r.stdout.toString('utf8');
}

export interface Repository {
  /** The working tree's top folder. */
  root: string;
  /** The repository's git folder (`.git`, or the worktree's own folder for linked worktrees). */
  gitDir: string;
  /** The folder shared by all worktrees: where `config` lives. */
  commonDir: string;
}

/** The repository containing `cwd`, or undefined outside any working tree. */
export async function findRepository(cwd: string): Promise<Repository | undefined> {
  // Starting git costs more than the rest of planning an unchanged pipeline's first task (BENCHMARKS.md "nbpipe run
  // and status"): git is asked only where reading its files might not give git's own answer.
  const plain = plainRepositoryAt(cwd);
  if (plain) return plain;
  const r = await runGit(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], { cwd });
  if (r.code !== 0) return undefined;
  const [root, gitDir, commonDir] = r.stdout.toString('utf8').split('\n');
  if (!root || !gitDir || !commonDir) return undefined;
  return { root, gitDir, commonDir: isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir) };
}

/**
 * The repository containing `cwd` found from its `.git` folder or file (linked worktrees included) without starting
 * git, for code that runs once per file, such as git's drivers. Undefined outside a working tree, and for layouts only
 * git can resolve (GIT_DIR, core.worktree): callers then do without the repository.
 */
export function repositoryAt(cwd: string): Repository | undefined {
  for (let root = resolve(cwd); ; root = dirname(root)) {
    const dotGit = join(root, '.git');
    const st = statSync(dotGit, { throwIfNoEntry: false });
    if (st) {
      let gitDir = dotGit;
      if (st.isFile()) {
        const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
        if (!m) return undefined;
        gitDir = resolve(root, m[1]!.trim());
      }
      let commonDir = gitDir;
      try {
        commonDir = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
      } catch {
        // not a linked worktree: the git folder is the common one
      }
      return { root, gitDir, commonDir };
    }
    if (dirname(root) === root) return undefined;
  }
}

/** Variables that change where git looks for a repository. */
const DISCOVERY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
];

/**
 * repositoryAt, in real paths as git gives them, when its answer is certainly git's: no variable moves the search,
 * `cwd` is outside the git folder and on the work tree's filesystem, this user owns both (git's safe.directory check
 * applies otherwise), and the configuration neither moves the work tree nor makes the repository bare.
 */
function plainRepositoryAt(cwd: string): Repository | undefined {
  if (DISCOVERY_VARIABLES.some((name) => process.env[name] !== undefined)) return undefined;
  try {
    const real = realpathSync(cwd);
    const found = repositoryAt(real);
    if (!found) return undefined;
    const gitDir = realpathSync(found.gitDir);
    const commonDir = realpathSync(found.commonDir);
    const inside = (dir: string) => real === dir || real.startsWith(`${dir}/`);
    if (inside(gitDir) || inside(commonDir)) return undefined;
    const uid = process.getuid?.();
    const [here, root, git] = [real, found.root, gitDir].map((path) => statSync(path));
    if (here!.dev !== root!.dev || (uid !== undefined && (root!.uid !== uid || git!.uid !== uid))) return undefined;
    statSync(join(gitDir, 'HEAD')); // a `.git` without HEAD is no repository to git, which looks further up
    const config = readFileSync(join(commonDir, 'config'), 'utf8');
    if (/^\s*(worktree\s*=|bare\s*=\s*true|worktreeconfig\s*=\s*true)/im.test(config)) return undefined;
    return { root: found.root, gitDir, commonDir };
  } catch {
    return undefined;
  }
}

/** Like findRepository, but outside a repository throws a GitError naming the folder. */
export async function requireRepository(cwd: string): Promise<Repository> {
  const repo = await findRepository(cwd);
  if (!repo) throw new GitError(`not inside a git working tree: ${cwd}`);
  return repo;
}

/** Git's well-known id of the empty tree: what an unborn branch is compared with. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export type ChangeStatus = 'added' | 'deleted' | 'modified';

export interface ChangedFile {
  /** Path relative to the repository root, with `/` separators. */
  path: string;
  status: ChangeStatus;
}

/**
 * Tracked files whose working-tree content differs from `revision` (default HEAD; the empty tree on an unborn branch),
 * limited to `pathspecs` (relative to `cwd`, as for `git diff`). Renames are reported as a deletion and an addition.
 */
export async function changedFiles(
  repo: Repository,
  options: { cwd: string; pathspecs?: readonly string[]; revision?: string },
): Promise<ChangedFile[]> {
  const revision = options.revision ?? ((await hasCommit(repo, 'HEAD')) ? 'HEAD' : EMPTY_TREE);
  const out = await gitOutput(
    ['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', revision, '--', ...(options.pathspecs ?? [])],
    {
      cwd: options.cwd,
    },
  );
  const fields = out.split('\0');
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const code = fields[i]!;
    const path = fields[i + 1]!;
    files.push({ path, status: code === 'A' ? 'added' : code === 'D' ? 'deleted' : 'modified' });
  }
  return files;
}

/** Whether `revision` names a commit (false on an unborn branch). */
export async function hasCommit(repo: Repository, revision: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { cwd: repo.root });
  return r.code === 0;
}

/**
 * The content of each path (relative to the root) at `revision`, read with one `git cat-file --batch`;
 * paths absent there are missing from the map. An unborn HEAD has no files.
 */
export async function readFilesAtRevision(
  repo: Repository,
  revision: string,
  paths: readonly string[],
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  if (paths.length === 0 || !(await hasCommit(repo, revision))) return files;
  // cat-file --batch reads one name per line: a path holding a newline would be two requests, and every answer after
  // it would go to the wrong path. Those few are read one by one.
  const batched = paths.filter((p) => !p.includes('\n'));
  for (const path of paths.filter((p) => p.includes('\n'))) {
    const blob = await runGit(['cat-file', 'blob', `${revision}:${path}`], { cwd: repo.root });
    if (blob.code === 0) files.set(path, blob.stdout);
  }
  if (batched.length === 0) return files;
  const r = await runGit(['cat-file', '--batch'], {
    cwd: repo.root,
    input: batched.map((p) => `${revision}:${p}\n`).join(''),
  });
  if (r.code !== 0) throw new GitError(r.stderr || 'git cat-file failed');
  const out = r.stdout;
  let at = 0;
  for (const path of batched) {
    const newline = out.indexOf(0x0a, at);
    if (newline < 0) break;
    const header = out.subarray(at, newline).toString('utf8');
    at = newline + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) continue;
    const size = Number(header.slice(header.lastIndexOf(' ') + 1));
    files.set(path, out.subarray(at, at + size));
    at += size + 1;
  }
  return files;
}
