import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { findRepository, gitOutput, readHead, WorktreeHasher, type Repository } from '@nbpipe/git';
import { readFileNamedSync, writeFileAtomic } from '@nbpipe/git';
import { mentionsPlaceholder, type GitPlaceholders } from './env.js';
import { PipelineError } from './errors.js';
import { ProjectFiles } from './files.js';
import { analyzeSource, type SourceAnalysis, type SourceKind } from './sources.js';
import { findSourcePairs, namesFormats, type SourcePair } from './pairs.js';
import type { ProjectPairing } from '@nbpipe/sync';
import type { PipelineSpec, ProductSpec, TaskSpec } from './spec.js';
import { isWildcard, wildcardRegExp } from './wildcards.js';
import type { ResolvedProduct, TaskJob } from './executors/job.js';
import { SPEC_VERSION } from './hashing.js';
import { acquireLock, StateStore, STATE_DIR } from './state.js';
import { checkExecutor } from './executors/registry.js';
import { HTML_EXPORT_OPTIONS } from './executors/notebook-writers.js';

export interface LoadOptions {
  /** Where the command runs: pipeline.yaml is searched from here upwards. */
  cwd: string;
  /** pipeline.yaml to use instead of searching. */
  entryPoint?: string;
  /** Take the project's run lock before reading its state (released by `release()`, or at exit). */
  lock?: boolean;
  /** `--env key=value` overrides of env.yaml (dotted keys for nested values). */
  env?: Record<string, string>;
  /** The project's pairing settings (nbpipe's `pairing`), to find paired sources as `nbpipe sync` does. */
  pairing?: ProjectPairing;
}

/** A task with its place in the DAG. */
export interface Task {
  name: string;
  spec: TaskSpec;
  /** Resolved upstream task names, in declaration order. */
  upstream: string[];
  /** Wildcard upstream declarations and the tasks each matched (injected as nested mappings, as Ploomber does). */
  upstreamGroups: Record<string, string[]>;
  downstream: string[];
  /** Read from the member of the pair the task runs (`pair.from`), else from the source. */
  analysis: SourceAnalysis;
  /** When the source is paired with other files. */
  pair?: SourcePair;
}

/** A loaded pipeline: its tasks in topological order, its state, and file hashing for its project. */
export interface Pipeline {
  file: string;
  root: string;
  spec: PipelineSpec;
  tasks: Task[];
  byName: Map<string, Task>;
  repo: Repository | undefined;
  state: StateStore;
  files: ProjectFiles;
  /** The pairing settings sources were paired with (a run syncs a pair with them). */
  pairing: ProjectPairing;
  /** The placeholder values the spec was rendered with (to render it again at another commit). */
  specOptions: { cwd: string; git: GitPlaceholders; overrides: Record<string, string> };
  /** The env file the placeholders came from (findEnvFile), if any. */
  envFile?: string;
  /** Problems worth a warning that do not stop anything. */
  warnings: string[];
  /** How to name a file in messages: relative to the cwd. */
  label(path: string): string;
  /** Forget cached analyses of sources this pipeline no longer has; true when the state changed (also by new analyses). */
  pruneSourceCache(): boolean;
  /** Release the run lock (if taken). */
  release(): void;
}

/** The explicit entry point, else the one Ploomber's `ENTRY_POINT` variable names, else pipeline.yaml in `cwd` or the nearest parent folder. */
export function findPipelineFile(cwd: string, entryPoint?: string): string {
  const chosen = entryPoint || process.env.ENTRY_POINT;
  if (chosen) {
    const file = resolve(cwd, chosen);
    if (!existsSync(file)) throw new PipelineError('no such file', entryPoint ? chosen : `ENTRY_POINT=${chosen}`);
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, 'pipeline.yaml');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir)
      throw new PipelineError(`no pipeline.yaml in ${cwd} or its parent folders (use --entry-point)`);
  }
}

/**
 * The env file of a pipeline, as Ploomber picks it: the file named by `PLOOMBER_ENV_FILENAME` (which
 * must exist), else `env.NAME.yaml` for `pipeline.NAME.yaml`, else `env.yaml`; each looked for in the
 * current folder, then beside pipeline.yaml. The first found is used whole. Undefined: no env file.
 */
export function findEnvFile(file: string, cwd: string): string | undefined {
  const folders = [...new Set([resolve(cwd), dirname(file)])];
  const find = (name: string) => folders.map((dir) => join(dir, name)).find((path) => existsSync(path));
  const label = (path: string) => relative(cwd, path) || basename(path);
  const chosen = process.env.PLOOMBER_ENV_FILENAME;
  if (chosen !== undefined) {
    if (chosen === '' || basename(chosen) !== chosen)
      throw new PipelineError(
        `PLOOMBER_ENV_FILENAME=${chosen}: expected a file name (looked for in the current folder, then beside pipeline.yaml), not a path`,
      );
    const found = find(chosen);
    if (!found)
      throw new PipelineError(
        `PLOOMBER_ENV_FILENAME=${chosen}: no such file in the current folder or beside pipeline.yaml`,
      );
    return found;
  }
  const parts = basename(file).split('.');
  const names = parts.length >= 3 ? [`env.${parts[1]}.yaml`, 'env.yaml'] : ['env.yaml'];
  for (const name of names) {
    const found = find(name);
    if (found) return found;
    const yml = find(name.replace(/\.yaml$/, '.yml'));
    if (yml) throw new PipelineError('env files must end in .yaml (rename it)', label(yml));
  }
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A pipeline or env file's text: a binary file is one short error, not its bytes quoted back in the first problem found. */
function readYamlText(path: string, label: string): string {
  const bytes = readFileNamedSync(path);
  try {
    if (!bytes.includes(0)) return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: reported below
  }
  throw new PipelineError('not a text file (binary, or not UTF-8)', label);
}

/**
 * Load pipeline.yaml, its env.yaml and every task source into a DAG. The parsed spec is cached in
 * `.nbpipe/` under a hash of everything it depends on, and source analyses under the sources' blob
 * ids, so an unchanged project is loaded without parsing YAML or notebooks.
 */
export async function loadPipeline(options: LoadOptions): Promise<Pipeline> {
  const file = findPipelineFile(options.cwd, options.entryPoint);
  const stateDir = join(dirname(file), STATE_DIR);
  const hadStateDir = existsSync(stateDir);
  const release = options.lock ? acquireLock(stateDir) : () => {};
  try {
    return await loadProject(file, options, new StateStore(dirname(file)), release);
  } catch (e) {
    release();
    // A pipeline that does not load leaves the project as it was: no state folder made just for the lock.
    if (!hadStateDir) rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
}

async function loadProject(
  file: string,
  options: LoadOptions,
  state: StateStore,
  release: () => void,
): Promise<Pipeline> {
  const root = dirname(file);
  const label = (path: string) => relative(options.cwd, path) || basename(path);
  const text = readYamlText(file, label(file));
  const envFile = findEnvFile(file, options.cwd);
  const envText = envFile === undefined ? undefined : readYamlText(envFile, label(envFile));
  let repo: Repository | undefined;
  try {
    repo = await findRepository(root);
  } catch {
    repo = undefined; // git is not installed: every file is hashed
  }
  const warnings = state.problem ? [state.problem] : [];
  const { spec, specOptions } = await loadSpec({ file, text, envFile, envText }, options, repo, state);

  const files = new ProjectFiles(root, new WorktreeHasher(repo), state.data.files);
  const analyses = new Map<string, SourceAnalysis>();
  const usedSourceKeys = new Set<string>();
  const specLabel = label(file);
  const checked = new Set<string>();
  let warnedRegular = false;
  const pairing = options.pairing ?? {};
  // Whether a notebook source names formats is remembered with its analyses (by blob id): an unchanged source is not read.
  const sourceNamesFormats = (source: string): boolean => {
    const digest = files.hash(source);
    if (digest?.type !== 'file') return false; // a missing source is reported below
    const cached = [false, true]
      .map((paired) => state.data.sources[sourceCacheKey('notebook', digest.oid, source, undefined, paired)])
      .filter((analysis) => analysis !== undefined);
    const known = cached.find((analysis) => analysis.namesFormats !== undefined)?.namesFormats;
    if (known !== undefined) return known;
    let names: boolean;
    try {
      names = namesFormats(readFileSync(join(root, source)));
    } catch {
      return false; // unreadable: reported below
    }
    for (const analysis of cached) analysis.namesFormats = names;
    if (cached.length) files.cacheChanged = true;
    return names;
  };
  const pairs = await findSourcePairs(
    root,
    spec.tasks.filter((t) => t.kind === 'notebook').map((t) => t.source),
    pairing,
    sourceNamesFormats,
  );
  for (const task of spec.tasks) {
    const digest = files.hash(task.source);
    if (!digest || digest.type !== 'file')
      throw new PipelineError(
        `source ${task.source}: ${digest ? 'is a folder' : 'no such file'}`,
        specLabel,
        task.line,
        `task ${task.name}`,
      );
    // A paired source is read from the member the task runs, and hashed by its cells whichever member that is.
    const pair = pairs.get(task.source);
    const read = pair?.from ?? task.source;
    const readDigest = read === task.source ? digest : files.hash(read);
    const oid = readDigest?.type === 'file' ? readDigest.oid : undefined;
    if (oid === undefined)
      throw new PipelineError(`source ${read}: no such file`, specLabel, task.line, `task ${task.name}`);
    const key = sourceCacheKey(task.kind, oid, read, task.callable, pair !== undefined);
    usedSourceKeys.add(key);
    let analysis = state.data.sources[key];
    if (!analysis) {
      const abs = join(root, read);
      const bytes = readFileSync(abs);
      analysis = await analyzeSource(
        task.kind,
        label(abs),
        bytes,
        oid,
        task.callable?.slice(task.callable.lastIndexOf('.') + 1),
        pair !== undefined,
      );
      if (task.kind === 'notebook') analysis.namesFormats = namesFormats(bytes);
      state.data.sources[key] = analysis;
      files.cacheChanged = true; // a new cache entry in the state: worth saving
    }
    analyses.set(task.name, analysis);
    // What checkExecutor looks at: the kind, the executor, the format of the executed notebook.
    const nb = typeof task.product === 'string' ? task.product : (task.product.nb ?? '');
    const shape = `${task.kind}\0${task.executor ?? ''}\0${nb.slice(nb.lastIndexOf('.'))}`;
    if (!checked.has(shape)) {
      checkExecutor(task, specLabel);
      checked.add(shape);
    }
    // Allowed, as in Ploomber, but worth a word: such a run writes beyond the project.
    const outside = productPaths(task.product).filter(
      (path) => path === '..' || path.startsWith('../') || isAbsolute(path),
    );
    if (outside.length)
      warnings.push(
        `${specLabel}:${task.line}: task ${task.name}: product ${outside.map((path) => label(resolve(root, path))).join(', ')} is outside the project; run writes it there`,
      );
    if (task.staticAnalysis === 'regular' && !warnedRegular) {
      warnedRegular = true;
      warnings.push(
        `${specLabel}:${task.line}: task ${task.name}: static_analysis: regular is not run (nbpipe has no pyflakes pass; \`strict\` checks params against the parameters cell)`,
      );
    }
    if (task.exportOptions) {
      const report = typeof task.product === 'string' ? task.product : task.product.nb;
      const ignored = report?.toLowerCase().endsWith('.html')
        ? Object.keys(task.exportOptions).filter((k) => !(k in HTML_EXPORT_OPTIONS))
        : Object.keys(task.exportOptions);
      if (ignored.length)
        warnings.push(
          `${specLabel}:${task.line}: task ${task.name}: nbconvert_export_kwargs ${ignored.join(', ')} not supported (the .html report honours ${Object.keys(HTML_EXPORT_OPTIONS).join(', ')})`,
        );
    }
  }
  const tasks = buildDag(spec, analyses, pairs, label);
  await files.prepareGlobs(tasks.flatMap((t) => t.spec.inputs));
  const pruneSourceCache = () => {
    let pruned = false;
    for (const key of Object.keys(state.data.sources))
      if (!usedSourceKeys.has(key)) {
        delete state.data.sources[key];
        pruned = true;
      }
    return pruned || files.cacheChanged;
  };
  return {
    file,
    root,
    spec,
    tasks,
    byName: new Map(tasks.map((t) => [t.name, t])),
    repo,
    state,
    files,
    pairing,
    specOptions,
    envFile,
    warnings,
    label,
    pruneSourceCache,
    release,
  };
}

/** Where the analysis of a source is cached in the state: by kind, blob id, extension, function and pairing. */
function sourceCacheKey(
  kind: SourceKind,
  oid: string,
  path: string,
  callable: string | undefined,
  paired: boolean,
): string {
  return `${kind}:${oid}:${path.slice(path.lastIndexOf('.'))}${callable ? `:${callable}` : ''}${paired ? ':paired' : ''}`;
}

/** Bumped when the same files parse into other specs (grid names, new keys): cached specs of older versions are then parsed again. */
const SPEC_CACHE_FORMAT = 2;

async function loadSpec(
  texts: { file: string; text: string; envFile?: string; envText?: string },
  options: LoadOptions,
  repo: Repository | undefined,
  state: StateStore,
): Promise<{ spec: PipelineSpec; specOptions: Pipeline['specOptions'] }> {
  const all = texts.text + (texts.envText ?? '');
  const git: GitPlaceholders = {};
  if (repo && (mentionsPlaceholder(all, 'git') || mentionsPlaceholder(all, 'git_hash'))) {
    const describe = await gitOutput(['describe', '--tags', '--always', '--dirty=-dirty'], { cwd: repo.root }).then(
      (s) => s.trim(),
      () => undefined,
    );
    git.git_hash = describe;
    git.git = readHead(repo).branch ?? describe;
  }
  const overrides = options.env ?? {};
  const specOptions = { cwd: options.cwd, git, overrides };
  // Everything the parsed spec depends on; {{now}} changes every time, so such specs are not cached.
  const volatile = mentionsPlaceholder(all, 'now');
  const key = createHash('sha1')
    .update(
      JSON.stringify([
        SPEC_VERSION,
        SPEC_CACHE_FORMAT,
        texts.file,
        texts.text,
        texts.envFile ?? null,
        texts.envText ?? null,
        Object.entries(overrides).sort(),
        options.cwd,
        git,
        mentionsPlaceholder(all, 'user') ? userInfo().username : null,
        mentionsPlaceholder(all, 'root') ? existsSync(join(dirname(texts.file), 'setup.py')) : null,
        [...all.matchAll(/\{\{\s*env\.(\w+)\s*\}\}/g)].map((m) => [m[1], process.env[m[1]!] ?? null]),
      ]),
    )
    .digest('hex');
  const cacheFile = join(state.dir, 'spec-cache.json');
  if (!volatile) {
    const cached = readOptional(cacheFile);
    if (cached) {
      try {
        const parsed = JSON.parse(cached) as { key: string; spec: PipelineSpec };
        if (parsed.key === key) return { spec: parsed.spec, specOptions };
      } catch {
        // a damaged cache is just a miss
      }
    }
  }
  const { parsePipelineSpec } = await import('./spec.js');
  const spec = parsePipelineSpec(texts, specOptions);
  if (!volatile) {
    try {
      state.ensureDir();
      await writeFileAtomic(cacheFile, JSON.stringify({ key, spec }));
    } catch {
      // a read-only project still works, just without the cache
    }
  }
  return { spec, specOptions };
}

/** Resolve upstream names (wildcards included) and order the tasks topologically; cycles and unknown names are errors. */
function buildDag(
  spec: PipelineSpec,
  analyses: Map<string, SourceAnalysis>,
  pairs: Map<string, SourcePair>,
  label: (p: string) => string,
): Task[] {
  const specFile = label(spec.file);
  const names = spec.tasks.map((t) => t.name);
  const nameSet = new Set(names);
  const tasks = new Map<string, Task>();
  for (const t of spec.tasks) {
    const analysis = analyses.get(t.name)!;
    const fromYaml = t.upstream !== undefined || !spec.extractUpstream;
    // Where an upstream problem is reported: the `upstream:` key, or the source's parameters cell.
    const fail = (problem: string, withKey = true): never => {
      if (fromYaml)
        throw new PipelineError(
          problem,
          specFile,
          t.upstreamLine ?? t.line,
          withKey ? `task ${t.name}: upstream` : undefined,
        );
      throw new PipelineError(
        problem,
        label(join(spec.root, t.source)),
        analysis.line,
        withKey ? 'upstream' : undefined,
      );
    };
    let declared: string[];
    if (fromYaml) declared = t.upstream ?? [];
    else if (analysis.upstream) declared = analysis.upstream;
    else declared = fail(analysis.upstreamProblem ?? 'cannot read upstream', false);
    const upstream: string[] = [];
    const groups: Record<string, string[]> = {};
    for (const name of declared) {
      if (isWildcard(name)) {
        const re = wildcardRegExp(name);
        const matched = names.filter((n) => n !== t.name && re.test(n));
        if (matched.length === 0) fail(`"${name}" matches no task`);
        groups[name] = matched;
        upstream.push(...matched);
      } else {
        if (!nameSet.has(name)) {
          const known = names.length > 20 ? `${names.slice(0, 20).join(', ')}, …` : names.join(', ');
          fail(`"${name}" names no task (tasks: ${known})`);
        }
        upstream.push(name);
      }
    }
    const pair = pairs.get(t.source);
    tasks.set(t.name, {
      name: t.name,
      spec: t,
      upstream: [...new Set(upstream)],
      upstreamGroups: groups,
      downstream: [],
      analysis,
      ...(pair ? { pair } : {}),
    });
  }
  for (const task of tasks.values()) for (const up of task.upstream) tasks.get(up)!.downstream.push(task.name);
  // Two tasks writing the same file would overwrite each other's work.
  const producers = new Map<string, TaskSpec>();
  for (const t of spec.tasks)
    for (const path of productPaths(t.product)) {
      const other = producers.get(path);
      if (other)
        throw new PipelineError(
          `product ${path} is also the product of task ${other.name} (line ${other.line})`,
          specFile,
          t.line,
          `task ${t.name}`,
        );
      producers.set(path, t);
    }

  return topologicalOrder(
    names.map((n) => tasks.get(n)!),
    tasks,
    specFile,
  );
}

/**
 * Tasks with every task after its upstream, otherwise in pipeline.yaml's order (a depth-first walk
 * of upstream edges, iterative so long chains cannot overflow the stack). A cycle is an error that
 * names its members in the direction data flows.
 */
function topologicalOrder(inSpecOrder: Task[], tasks: Map<string, Task>, specFile: string): Task[] {
  const ordered: Task[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of inSpecOrder) {
    if (state.has(root.name)) continue;
    const stack: { task: Task; next: number }[] = [{ task: root, next: 0 }];
    state.set(root.name, 'visiting');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.task.upstream.length) {
        const up = tasks.get(top.task.upstream[top.next++]!)!;
        const seen = state.get(up.name);
        if (seen === 'done') continue;
        if (seen === 'visiting') {
          const at = stack.findIndex((f) => f.task === up);
          const cycle = [...stack.slice(at).map((f) => f.task.name), up.name].reverse();
          throw new PipelineError(`cycle: ${cycle.join(' → ')}`, specFile);
        }
        state.set(up.name, 'visiting');
        stack.push({ task: up, next: 0 });
      } else {
        stack.pop();
        state.set(top.task.name, 'done');
        ordered.push(top.task);
      }
    }
  }
  return ordered;
}

/** The product paths of a task (relative to the root). */
export function productPaths(product: ProductSpec): string[] {
  return typeof product === 'string' ? [product] : Object.values(product);
}

export { STATE_DIR };

/** A task's product with absolute paths. */
export function resolveProduct(root: string, product: ProductSpec): ResolvedProduct {
  return typeof product === 'string'
    ? resolve(root, product)
    : Object.fromEntries(Object.entries(product).map(([k, v]) => [k, resolve(root, v)]));
}

/** The `upstream` mapping injected into a task: names to products, wildcard groups nested (Ploomber's shape). */
export function upstreamMapping(p: Pipeline, task: Task): TaskJob['upstream'] {
  const out: TaskJob['upstream'] = {};
  const grouped = new Set(Object.values(task.upstreamGroups).flat());
  for (const name of task.upstream)
    if (!grouped.has(name)) out[name] = resolveProduct(p.root, p.byName.get(name)!.spec.product);
  for (const [pattern, names] of Object.entries(task.upstreamGroups))
    out[pattern] = Object.fromEntries(names.map((n) => [n, resolveProduct(p.root, p.byName.get(n)!.spec.product)]));
  return out;
}
