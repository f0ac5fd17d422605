/**
 * What `nbpipe install` adds for stripping: the git filter (long-running process, with a per-file clean command
 * for other git tools) and the hooks (`pre-commit`, and `post-checkout`/`post-merge` that report pipeline tasks a
 * checkout made outdated), as plain git hooks or husky hooks. Each piece is an InstallStep: install, uninstall
 * and check (for `nbpipe doctor`).
 *
 * Never break git: the filter is not `required`, so a notebook it cannot clean is committed as it is; when nbpipe
 * cannot start at all (node_modules deleted, node moved), the process command still answers git's protocol through
 * a small Perl pass-through (git itself depends on Perl) instead of dying, which would make every `git add` and
 * `git status` fatal. Hooks skip their checks with a warning when nbpipe cannot start.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import {
  addAttributeLines,
  editAttributesFile,
  managedAttributeLines,
  readAttributesFile,
  removeAttributeLines,
} from './attributes.js';
import { getEffectiveGitConfig, getGitConfig } from './config.js';
import { DRIVER_CANNOT_START, nodeCommand, shellQuote, type DriverLauncher } from './drivers.js';
import { probeFilterProcess } from './filter-protocol.js';
import { attributesStep, gitConfigStep, type InstallStep, type InstallTarget, type StepCheck } from './install.js';
import { gitOutput, type Repository } from './repo.js';

export const FILTER_NAME = 'nbpipe';

/** Where hooks come from: git's hooks folder, husky's `.husky/` files, or none. */
export type HookManager = 'git' | 'husky' | 'none';

/** How hooks start the `nbpipe` CLI: absolute node and script paths (GUI clients may lack node on PATH). */
export interface CliLauncher {
  node: string;
  cli: string;
}

// Git's side of the protocol, answered by passing every file through unchanged: used only when nbpipe cannot start.
const PERL_PASS_THROUGH =
  'binmode STDIN;binmode STDOUT;$|=1;' +
  'sub r{my($h,$d);read(STDIN,$h,4)==4 or exit 0;my $n=hex $h;return "" if $n<4;read(STDIN,$d,$n-4)==$n-4 or exit 1;$d}' +
  'sub w{print sprintf("%04x",4+length $_[0]),$_[0]}sub f{print "0000"}' +
  '1 while r() ne "";w("git-filter-server\\n");w("version=2\\n");f();' +
  '1 while r() ne "";w("capability=clean\\n");w("capability=smudge\\n");f();' +
  'print STDERR "nbpipe: cannot start, so notebooks pass through git unstripped (reinstall nbpipe, or run nbpipe uninstall)\\n";' +
  'while(1){1 while r() ne "";my @c;while((my $p=r()) ne ""){push @c,$p}w("status=success\\n");f();w($_) for @c;f();f()}';

/**
 * `filter.nbpipe.process`: nbpipe's filter-process, or the pass-through when nbpipe cannot start (script missing, or
 * its code cannot be loaded: it then exits DRIVER_CANNOT_START without having read git's input).
 */
export function filterProcessCommand({ node, script }: DriverLauncher): string {
  const [n, s] = [shellQuote(node), shellQuote(script)];
  return (
    `nbpipe_filter() { if [ -f ${s} ] && [ -x ${n} ]; then ${nodeCommand(node, script)} filter-process; status=$?; ` +
    `[ $status -eq ${DRIVER_CANNOT_START} ] || return $status; fi; exec perl -e '${PERL_PASS_THROUGH}'; }; nbpipe_filter`
  );
}

/** `filter.nbpipe.clean`, for git tools without the process protocol: one process per file, `cat` as fallback. */
export function cleanFilterCommand({ node, script }: DriverLauncher): string {
  const [n, s] = [shellQuote(node), shellQuote(script)];
  return (
    `nbpipe_clean() { if [ -f ${s} ] && [ -x ${n} ]; then ${nodeCommand(node, script)} clean "$1"; status=$?; ` +
    `[ $status -eq ${DRIVER_CANNOT_START} ] || return $status; fi; exec cat; }; nbpipe_clean %f`
  );
}

/** A notebook with an output, to see that the configured filter really strips. */
const PROBE_NOTEBOOK = JSON.stringify({
  cells: [
    {
      cell_type: 'code',
      execution_count: 1,
      metadata: {},
      outputs: [{ output_type: 'stream', name: 'stdout', text: ['nbpipe doctor\n'] }],
      source: ['print("nbpipe doctor")'],
    },
  ],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 4,
});

/** Run the configured process filter on a probe notebook, as git would; a problem, or undefined when it strips. */
async function probeFilter(command: string, cwd: string): Promise<string | undefined> {
  const child = spawn('sh', ['-c', command], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c));
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  try {
    const result = await Promise.race([
      probeFilterProcess(child.stdout, child.stdin, 'nbpipe-doctor.ipynb', Buffer.from(PROBE_NOTEBOOK)),
      exited.then(() => {
        throw new Error('it exited during the handshake');
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 20 s')), 20_000).unref()),
    ]);
    const said = Buffer.concat(stderr).toString('utf8').trim();
    if (said.includes('cannot start'))
      return 'nbpipe cannot start from the filter command: notebooks pass through unstripped (run `nbpipe install` again)';
    if (result.status !== 'success') return `the filter answered status=${result.status}${said ? `: ${said}` : ''}`;
    if (result.content.includes('nbpipe doctor\\n')) return 'the filter does not strip outputs';
    return undefined;
  } catch (e) {
    return `the filter process failed: ${(e as Error).message}${stderr.length ? ` (${Buffer.concat(stderr).toString('utf8').trim()})` : ''}`;
  } finally {
    child.kill();
  }
}

/** The clean filter and the attributes that route notebooks through it. */
export function filterSteps(): InstallStep[] {
  const config = gitConfigStep(
    'filter',
    'strip outputs from committed notebooks (git clean filter; the working copy keeps them)',
    (t) => ({
      [`filter.${FILTER_NAME}.process`]: filterProcessCommand(t.launcher),
      [`filter.${FILTER_NAME}.clean`]: cleanFilterCommand(t.launcher),
      [`filter.${FILTER_NAME}.smudge`]: 'cat',
      // Not required: a notebook the filter cannot clean is committed as it is rather than stopping git.
      [`filter.${FILTER_NAME}.required`]: 'false',
    }),
  );
  const optionalPart = 'output-stripping filter';
  return [
    {
      ...config,
      optionalPart,
      async uninstall(target) {
        const changes = await config.uninstall(target);
        // The outputs kept for smudge (output-cache.ts) belong to the filter.
        const cache =
          target.repo && target.scope === 'local' ? join(target.repo.commonDir, 'nbpipe', 'outputs') : undefined;
        if (cache && (await exists(cache))) {
          await fs.rm(cache, { recursive: true, force: true });
          changes.push(`${cache}: removed the outputs kept for git checkout and stash`);
        }
        return changes;
      },
      async check(target) {
        const result = await config.check(target);
        if (!result.ok || !target.repo) return result;
        const problem = await probeFilter(
          (await getGitConfig(target, `filter.${FILTER_NAME}.process`))!,
          target.repo.root,
        );
        return problem ? { ok: false, problems: [problem] } : result;
      },
    },
    {
      ...attributesStep(
        'filter-attributes',
        'route notebooks through the nbpipe filter',
        [`*.ipynb filter=${FILTER_NAME}`, `*.zpln filter=${FILTER_NAME}`],
        {
          filter: FILTER_NAME,
        },
      ),
      optionalPart,
    },
  ];
}

// ---- hooks -------------------------------------------------------------------------------------------

const HOOK_MARK = '# nbpipe hook: installed by `nbpipe install`; `nbpipe uninstall` removes it';
/** An existing hook we chain to is kept under this suffix, and run after ours. */
const CHAINED_SUFFIX = '.pre-nbpipe';
export const HOOK_NAMES = ['pre-commit', 'post-commit', 'post-checkout', 'post-merge'] as const;
type HookName = (typeof HOOK_NAMES)[number];

/** The shell lines each hook runs, given how to call nbpipe (`nbpipe` on PATH, or a function). */
function hookBody(name: HookName, nbpipe: string): string[] {
  // Reporting outdated pipeline tasks must never fail a checkout or a merge.
  if (name === 'post-checkout') return [`if [ "$3" = 1 ] && [ -f pipeline.yaml ]; then ${nbpipe} status || true; fi`];
  if (name === 'post-merge') return [`if [ -f pipeline.yaml ]; then ${nbpipe} status || true; fi`];
  // After `git commit -- <paths>`: what the pre-commit hook staged into git's temporary index, into the index too.
  if (name === 'post-commit') return [`${nbpipe} pre-commit --after-commit || true`];
  return [`${nbpipe} pre-commit || exit $?`];
}

/** A complete git hook: nbpipe's step, then the hook it replaced, if any. */
export function gitHookScript(name: HookName, { node, cli }: CliLauncher): string {
  const [n, c] = [shellQuote(node), shellQuote(cli)];
  const missing = (what: string) =>
    name === 'pre-commit'
      ? `echo "nbpipe: cannot start (${what.replace(/["$`\\]/g, '')} is missing); notebooks are not checked" >&2`
      : ':';
  return [
    '#!/bin/sh',
    HOOK_MARK,
    `run_nbpipe() { if [ ! -x ${n} ]; then ${missing(`node ${node}`)}; elif [ ! -f ${c} ]; then ${missing(cli)}; else ${nodeCommand(node, cli)} "$@"; fi; }`,
    ...hookBody(name, 'run_nbpipe'),
    `chained="$(dirname "$0")/${name}${CHAINED_SUFFIX}"`,
    'if [ -x "$chained" ]; then exec "$chained" "$@"; fi',
    '',
  ].join('\n');
}

/** The lines nbpipe adds to `.husky/<hook>` (husky puts node_modules/.bin on PATH). */
export function huskyHookLines(name: HookName): string[] {
  if (name !== 'pre-commit') return hookBody(name, 'nbpipe');
  // A clone where nbpipe is not installed yet commits with a warning rather than "command not found".
  return [
    'if command -v nbpipe >/dev/null 2>&1; then nbpipe pre-commit; else echo "nbpipe: not installed here; notebooks are not checked" >&2; fi',
  ];
}

/** The folder git runs hooks from (`core.hooksPath` respected). */
export async function gitHooksDir(repo: Repository): Promise<string> {
  const dir = (await gitOutput(['rev-parse', '--git-path', 'hooks'], { cwd: repo.root })).trim();
  return isAbsolute(dir) ? dir : resolve(repo.root, dir);
}

/** Whether git runs husky's hooks here (`core.hooksPath` = `.husky/_`, set by husky's installer). */
export async function huskyActive(repo: Repository): Promise<boolean> {
  const hooksPath = await getEffectiveGitConfig(repo.root, 'core.hooksPath');
  return hooksPath !== undefined && /(^|\/)\.husky\/_\/?$/.test(hooksPath.replace(/\\/g, '/'));
}

/** Whether the project uses husky: it runs this clone's hooks, or the project has a `.husky/` folder (a fresh clone before `npm install`). */
export async function projectUsesHusky(repo: Repository): Promise<boolean> {
  return (await huskyActive(repo)) || (await exists(join(repo.root, '.husky')));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const exists = (path: string) =>
  fs.stat(path).then(
    () => true,
    () => false,
  );

function needRepo(target: InstallTarget): Repository {
  if (!target.repo) throw new Error('hooks belong to a repository: run `nbpipe install` inside one');
  return target.repo;
}

/** One git hook, chaining to a hook that was there before (kept as `<name>.pre-nbpipe`, restored by uninstall). */
function gitHookStep(name: HookName, launcher: CliLauncher): InstallStep {
  return {
    id: `git-hook-${name}`,
    description: `git ${name} hook`,
    async install(target) {
      const repo = needRepo(target);
      // husky regenerates its hooks folder on every npm install: nbpipe's hooks go in .husky/ files instead.
      if (await huskyActive(repo))
        throw new Error('core.hooksPath points at husky (.husky/_): install the hooks with --hooks husky');
      const dir = await gitHooksDir(repo);
      const path = join(dir, name);
      const wanted = gitHookScript(name, launcher);
      const current = await readIfExists(path);
      if (current === wanted) return [];
      const changes: string[] = [];
      if (current !== undefined && !current.includes(HOOK_MARK)) {
        const chained = path + CHAINED_SUFFIX;
        if (await exists(chained))
          throw new Error(`${path} exists and so does ${chained}: move one away, then run nbpipe install again`);
        await fs.rename(path, chained);
        changes.push(`${path}: kept the existing hook as ${relative(dir, chained)}, run after nbpipe's`);
      }
      await fs.mkdir(dir, { recursive: true });
      await writeFileAtomic(path, wanted, { mode: 0o755 });
      changes.push(`${path}: installed`);
      return changes;
    },
    async uninstall(target) {
      const dir = await gitHooksDir(needRepo(target));
      const path = join(dir, name);
      const current = await readIfExists(path);
      if (current === undefined || !current.includes(HOOK_MARK)) return [];
      const chained = path + CHAINED_SUFFIX;
      if (await exists(chained)) {
        await fs.rename(chained, path);
        return [`${path}: restored the hook it chained to`];
      }
      await fs.rm(path);
      return [`${path}: removed`];
    },
    async check(target) {
      const dir = await gitHooksDir(needRepo(target));
      const path = join(dir, name);
      const current = await readIfExists(path);
      const problems: string[] = [];
      if (current === undefined) problems.push(`${path} is missing`);
      else if (!current.includes(HOOK_MARK))
        problems.push(`${path} is not nbpipe's (run nbpipe install to chain to it)`);
      else if (current !== gitHookScript(name, launcher))
        problems.push(`${path} differs from what \`nbpipe install\` writes (run it again to update)`);
      else if (((await fs.stat(path)).mode & 0o111) === 0) problems.push(`${path} is not executable`);
      if (name === 'pre-commit' && (await huskyActive(target.repo!)))
        problems.push('core.hooksPath points at husky: git runs .husky/ hooks, not this one');
      return { ok: problems.length === 0, problems };
    },
  };
}

/** nbpipe's block in one of husky's hook files (`.husky/<hook>`, committed with the project). */
function huskyHookStep(name: HookName): InstallStep {
  const file = (target: InstallTarget) => join(needRepo(target).root, '.husky', name);
  const lines = huskyHookLines(name);
  return {
    id: `husky-hook-${name}`,
    description: `husky ${name} hook`,
    async install(target) {
      const changed = await editAttributesFile(file(target), (text) => addAttributeLines(text, lines));
      return changed ? [`${file(target)}: added nbpipe's lines`] : [];
    },
    async uninstall(target) {
      const changed = await editAttributesFile(file(target), (text) => removeAttributeLines(text, lines));
      return changed ? [`${file(target)}: removed nbpipe's lines`] : [];
    },
    async check(target): Promise<StepCheck> {
      const present = new Set(managedAttributeLines(await readAttributesFile(file(target))));
      const problems = lines.filter((l) => !present.has(l)).map(() => `${file(target)} lacks nbpipe's lines`);
      if (name === 'pre-commit' && !(await huskyActive(target.repo!)))
        problems.push(
          'husky is not set up in this clone (core.hooksPath is not .husky/_): run `npx husky`, or npm install with a "prepare": "husky" script',
        );
      return { ok: problems.length === 0, problems: [...new Set(problems)] };
    },
  };
}

/** The hook steps for a hook manager ('none': no hooks). */
export function hookSteps(manager: HookManager, launcher: CliLauncher): InstallStep[] {
  if (manager === 'none') return [];
  return HOOK_NAMES.map((name) => (manager === 'git' ? gitHookStep(name, launcher) : huskyHookStep(name)));
}

/** Which kind of nbpipe hooks this repository has, judged by its pre-commit hook ('none' when neither). */
export async function installedHookManager(repo: Repository): Promise<HookManager> {
  const husky = await readAttributesFile(join(repo.root, '.husky', 'pre-commit'));
  if (managedAttributeLines(husky).length > 0) return 'husky';
  const git = await readIfExists(join(await gitHooksDir(repo), 'pre-commit'));
  return git?.includes(HOOK_MARK) ? 'git' : 'none';
}
