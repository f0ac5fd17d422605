import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { changedFiles, gitOutput, readFilesAtRevision } from '@nbpipe/git';
import { parse } from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';
import type { Pipeline, Task } from './project.js';
import { notebookInputsHash } from './sources.js';
import type { PipelineSpec, TaskSpec } from './spec.js';
import { canonicalJson } from './hashing.js';
import { evaluatePipeline, productDigests } from './status.js';

export interface ChangedSet {
  /**
   * The base commit and how it was chosen (`--since main`, `the last successful run`, `HEAD@{1}`).
   * Undefined when there is none to compare with (a fresh clone: no run, no earlier checkout): the
   * outdated tasks are selected instead, and `baseLabel` says so.
   */
  base: string | undefined;
  baseLabel: string;
  /**
   * Tasks that changed and everything downstream of them, plus the upstream tasks whose products
   * are missing here (they must run first); without a base, the outdated tasks.
   */
  tasks: Set<string>;
  /** Why each directly changed task is in the set. */
  reasons: Map<string, string[]>;
  /** Upstream tasks selected only because their products are missing in this clone. */
  missingUpstream: Set<string>;
}

/** What `--changed` selected, in one line. */
export function describeChangedSet(set: ChangedSet, verb: string): string {
  if (set.base === undefined) return `${set.baseLabel}: ${set.tasks.size} outdated task(s) to ${verb}`;
  const missing = set.missingUpstream.size
    ? `, and ${set.missingUpstream.size} upstream task(s) whose products are missing here`
    : '';
  return `comparing with ${set.baseLabel}: ${set.reasons.size} task(s) changed, ${set.tasks.size - set.missingUpstream.size} to ${verb} with their downstream${missing}`;
}

/** The parts of a task definition whose change makes it run. */
function definition(t: TaskSpec): string {
  return canonicalJson([
    t.kind,
    t.source,
    t.product,
    t.upstream ?? null,
    t.fingerprintParams ?? t.params,
    t.inputs,
    t.executor ?? null,
  ]);
}

/**
 * The tasks whose inputs differ between commit `since` and the work tree, plus their downstream —
 * decided from git alone (no `.nbpipe/` state needed, so it works in a fresh clone): a task changed
 * when its source, one of its `inputs`, or its definition in pipeline.yaml/env.yaml differs. A
 * notebook source whose outputs alone differ has not changed. Default base: the commit of the last
 * successful run, else `HEAD@{1}` (where HEAD was before the last checkout); with neither (a fresh
 * clone) the outdated tasks are selected, as a plain run would. A selected task needs its upstream
 * products: upstream tasks whose products are missing here are selected too.
 */
export async function changedTasks(p: Pipeline, since?: string): Promise<ChangedSet> {
  const repo = p.repo;
  if (!repo) throw new PipelineError('--changed needs a git repository');
  let ref = since;
  let baseLabel = since ? `--since ${since}` : '';
  if (!ref && p.state.data.lastSuccess?.head) {
    ref = p.state.data.lastSuccess.head;
    baseLabel = `the last successful run (${ref.slice(0, 7)})`;
  }
  if (!ref) {
    ref = 'HEAD@{1}';
    baseLabel = 'HEAD@{1}, the commit before the last checkout';
  }
  let base: string;
  try {
    base = (
      await gitOutput(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repo.root })
    ).trim();
  } catch {
    base = '';
  }
  if (!base && since) throw new PipelineError(`--since ${since}: no such commit`);
  if (!base) {
    const outdated = new Set(
      evaluatePipeline(p)
        .filter((s) => s.outdated)
        .map((s) => s.name),
    );
    const baseLabel =
      'no base commit (no successful run is recorded here and HEAD@{1} does not exist, as in a fresh clone; pass --since REF to compare)';
    return { base: undefined, baseLabel, tasks: outdated, reasons: new Map(), missingUpstream: new Set() };
  }

  const prefix = relative(repo.root, p.root).split(sep).join('/');
  const toRoot = (repoPath: string) =>
    prefix === '' ? repoPath : repoPath.startsWith(prefix + '/') ? repoPath.slice(prefix.length + 1) : undefined;
  const toRepo = (rootPath: string) => (prefix === '' ? rootPath : `${prefix}/${rootPath}`);
  const [tracked, untracked] = await Promise.all([
    changedFiles(repo, { cwd: p.root, pathspecs: ['.'], revision: base }),
    gitOutput(['ls-files', '--others', '--exclude-standard', '-z', '--full-name'], { cwd: p.root }),
  ]);
  const changed = new Set<string>();
  for (const path of [...tracked.map((f) => f.path), ...untracked.split('\0').filter(Boolean)]) {
    const rel = toRoot(path);
    if (rel !== undefined) changed.add(rel);
  }

  // The pipeline as it was defined at the base commit, rendered with today's placeholder values.
  const specFiles = [p.file, ...(p.envFile ? [p.envFile] : [])].map((f) => relative(p.root, f).split(sep).join('/'));
  const before = await readFilesAtRevision(repo, base, specFiles.map(toRepo));
  let baseSpec: PipelineSpec | undefined;
  const baseText = before.get(toRepo(specFiles[0]!));
  if (baseText) {
    const { parsePipelineSpec } = await import('./spec.js');
    try {
      baseSpec = parsePipelineSpec(
        {
          file: p.file,
          text: baseText.toString('utf8'),
          envFile: p.envFile,
          envText: specFiles[1] === undefined ? undefined : before.get(toRepo(specFiles[1]))?.toString('utf8'),
        },
        p.specOptions,
      );
    } catch {
      baseSpec = undefined; // it did not load then: every task counts as changed
    }
  }
  const baseTasks = new Map(baseSpec?.tasks.map((t) => [t.name, t]) ?? []);

  // A task's source files: its source and the other members of its pair, edited through any of them.
  const sourceFiles = (task: Task) => task.pair?.members ?? [task.spec.source];
  // Notebooks that differ: compare their inputs, so saved outputs are not a change.
  const notebooks = [...new Set(p.tasks.flatMap(sourceFiles))].filter(
    (path) => path.endsWith('.ipynb') && changed.has(path),
  );
  const notebooksBefore = await readFilesAtRevision(repo, base, notebooks.map(toRepo));
  const sameInputs = (path: string): boolean => {
    const old = notebooksBefore.get(toRepo(path));
    if (!old) return false;
    try {
      return (
        notebookInputsHash(parse(old.toString('utf8'))) ===
        notebookInputsHash(parse(readFileSync(join(p.root, path), 'utf8')))
      );
    } catch {
      return false;
    }
  };

  const reasons = new Map<string, string[]>();
  for (const task of p.tasks) {
    const why: string[] = [];
    const old = baseTasks.get(task.name);
    if (!old) why.push(baseSpec ? 'new task' : 'pipeline.yaml changed');
    else if (definition(old) !== definition(task.spec)) why.push('definition changed');
    if (sourceFiles(task).some((path) => changed.has(path) && !(path.endsWith('.ipynb') && sameInputs(path))))
      why.push('source changed');
    const inputs = [...changed].filter((path) => p.files.matches(task.spec.inputs, path));
    if (inputs.length)
      why.push(`input ${inputs.slice(0, 3).join(', ')}${inputs.length > 3 ? ` (+${inputs.length - 3})` : ''} changed`);
    if (why.length) reasons.set(task.name, why);
  }
  const tasks = new Set(reasons.keys());
  for (const task of p.tasks) if (task.upstream.some((u) => tasks.has(u))) tasks.add(task.name);
  const missingUpstream = upstreamWithoutProducts(p, tasks);
  for (const name of missingUpstream) tasks.add(name);
  return { base, baseLabel, tasks, reasons, missingUpstream };
}

/** The upstream tasks (transitively) of `selected` that are not selected and whose products are missing: the selection cannot run without them. */
function upstreamWithoutProducts(p: Pipeline, selected: Set<string>): Set<string> {
  const needed = new Set<string>();
  // Downstream first, so an added task's own upstream is looked at after it.
  for (let i = p.tasks.length - 1; i >= 0; i--) {
    const task = p.tasks[i]!;
    if (!selected.has(task.name) && !needed.has(task.name)) continue;
    for (const name of task.upstream)
      if (
        !selected.has(name) &&
        !needed.has(name) &&
        productDigests(p, p.byName.get(name)!).some(([, digest]) => digest === undefined)
      )
        needed.add(name);
  }
  return needed;
}
