import { basename, dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import { loadEnvFile, mentionsPlaceholder, PlaceholderContext, type EnvOptions, type Value } from './env.js';
import { sourceKindOf, type SourceKind } from './sources.js';
import { YamlFile, type MappingEntry, type RenderString } from './yaml-file.js';
import { canonicalJson, sha1, SPEC_VERSION } from './hashing.js';
import { gridCombinations, gridProductPath, gridTaskName } from './grid.js';
import { slurmSettingsProblem, toSlurmSettings, type SlurmSettings } from './slurm/settings.js';

/** A product: one path, or named paths (`nb` is the executed notebook). Paths relative to the project root. */
export type ProductSpec = string | Record<string, string>;

/** One task as pipeline.yaml declares it, after env placeholders and grid expansion. Plain JSON (it is cached). */
export interface TaskSpec {
  name: string;
  /** Source path relative to the project root, `/`-separated. */
  source: string;
  kind: SourceKind;
  product: ProductSpec;
  /** Upstream declared in pipeline.yaml (task names or wildcards); absent: read from the source. */
  upstream?: string[];
  params: Record<string, Value>;
  /** The params as they enter the fingerprint, when they differ from `params` (`{{now}}` left unrendered). */
  fingerprintParams?: Record<string, Value>;
  /** Hash of the params as they enter the fingerprint (compared as mappings: key order does not matter). */
  paramsHash: string;
  /** Hash of the rest of the definition: kind, executor, source path, products, inputs. */
  definitionHash: string;
  /** Extra files or globs (relative to the root) whose content invalidates the task. */
  inputs: string[];
  /** Task-level executor (notebook engine), as written, or the pipeline-level notebook executor. */
  executor?: string;
  /** For `callable` tasks: the function's dotted path (`source` is its module file). */
  callable?: string;
  /** Ploomber's `kernelspec_name`: the Jupyter kernel a notebook task runs on, whatever the notebook says. */
  kernelName?: string;
  /** `on_finish`: a shell command or a python `module.function` run after the task, or `{dotted_path, ...kwargs}`. */
  onFinish?: string | PythonHook;
  /** Ploomber's task hooks: `on_render` just before the task runs, `on_failure` after it failed. */
  onRender?: PythonHook;
  onFailure?: PythonHook;
  /** Function tasks: writes the function's return value to the product / reads upstream products back (task key, else the top-level one). */
  serializer?: PythonHook;
  unserializer?: PythonHook;
  /** `executor_params` (or its older name `papermill_params`) `log_output: true`: cell output is also printed as it arrives. */
  logOutput?: boolean;
  /** `nbconvert_export_kwargs`, for the `.html` report of the executed notebook. */
  exportOptions?: Record<string, Value>;
  /** Ploomber's `static_analysis` (`regular`, `strict` or `disable`): checks params against the parameters cell. */
  staticAnalysis?: 'regular' | 'strict' | 'disable';
  /** `slurm:` resources of the task's job under `run --slurm` (not part of the fingerprint: they do not change products). */
  slurm?: SlurmSettings;
  /** 1-based line of the task in pipeline.yaml, and of its `upstream` key. */
  line: number;
  upstreamLine?: number;
}

/** A task as its keys give it, before its hashes are computed. */
type ParsedTask = Omit<TaskSpec, 'paramsHash' | 'definitionHash'>;

/** A python function pipeline.yaml names, `mod.fn` or `{dotted_path: mod.fn, k: v}` (its extra keyword arguments). */
export interface PythonHook {
  function: string;
  kwargs: Record<string, Value>;
}

/** Hooks of the whole pipeline (Ploomber's DAG-level `on_render`, `on_finish`, `on_failure`). */
export type PipelineHooks = Partial<Record<'on_render' | 'on_finish' | 'on_failure', PythonHook>>;

export interface PipelineSpec {
  /** Absolute path of pipeline.yaml; its folder is the project root. */
  file: string;
  root: string;
  /** Top-level `executor`: scheduling (serial runs one task at a time). */
  executor?: 'serial' | 'parallel';
  /** `executor: {dotted_path: ploomber.executors.Parallel, processes: N}`. */
  processes?: number;
  /** Top-level `executor: jupyter|python`: how notebook tasks run unless they say otherwise. */
  notebookExecutor?: 'jupyter' | 'python';
  /** meta.extract_upstream (default true): read upstream from sources when pipeline.yaml does not declare it. */
  extractUpstream: boolean;
  hooks: PipelineHooks;
  /** `clients: {File: mod.fn}`: the factory of the client products are uploaded with (clients.ts). */
  fileClient?: PythonHook;
  /** Top-level `cluster: slurm`: `nbpipe run` submits tasks as Slurm jobs, as with `--slurm`. */
  cluster?: 'local' | 'slurm';
  tasks: TaskSpec[];
}

const TOP_KEYS = new Set([
  'tasks',
  'meta',
  'executor',
  'cluster',
  'on_render',
  'on_finish',
  'on_failure',
  'serializer',
  'unserializer',
  'clients',
]);
const META_KEYS = new Set([
  'extract_upstream',
  'extract_product',
  'product_relative_to_source',
  'jupyter_hot_reload',
  'jupyter_functions_as_notebooks',
]);
/** The papermill / ploomber-engine options our notebook executors honour. */
const EXECUTOR_OPTIONS = ['log_output'];

export interface SpecTexts {
  /** Absolute path and text of pipeline.yaml. */
  file: string;
  text: string;
  /** env.yaml next to it, if any. */
  envFile?: string;
  envText?: string;
}

/**
 * Parse pipeline.yaml (and env.yaml) into task specs: placeholders rendered, grids expanded, every
 * problem reported with file, line and key.
 */
export function parsePipelineSpec(texts: SpecTexts, env: Omit<EnvOptions, 'here' | 'keepNow'>): PipelineSpec {
  const root = dirname(texts.file);
  const label = relative(env.cwd, texts.file) || basename(texts.file);
  const yaml: YamlFile = new YamlFile(label, texts.text);
  const envYaml =
    texts.envFile && texts.envText !== undefined
      ? new YamlFile(relative(env.cwd, texts.envFile) || basename(texts.envFile), texts.envText)
      : undefined;
  const context = new PlaceholderContext({ ...env, here: root });
  loadEnvFile(context, envYaml, env.overrides ?? {});
  // Values that enter fingerprints must not change every run: render them again with {{now}} kept as is.
  let stableContext: PlaceholderContext | undefined;
  if (mentionsPlaceholder(texts.text + (texts.envText ?? ''), 'now')) {
    stableContext = new PlaceholderContext({ ...env, here: root, keepNow: true });
    loadEnvFile(stableContext, envYaml, env.overrides ?? {});
  }
  const renderWith =
    (ctx: PlaceholderContext): RenderString =>
    (text, key, line) =>
      ctx.render(text, () => ({ file: label, line, key }));
  const render = renderWith(context);
  const renderShell: RenderString = (text, key, line) => context.renderShell(text, () => ({ file: label, line, key }));

  if (yaml.root === null) yaml.fail('the file is empty: expected a `tasks:` list', 1);
  const top = yaml.mapping(yaml.root, '');
  const spec: PipelineSpec = { file: texts.file, root, extractUpstream: true, hooks: {}, tasks: [] };
  const serializers: Serializers = {};
  let productRelativeToSource = false;
  let tasksNode: Node | null | undefined;
  for (const entry of top) {
    if (!TOP_KEYS.has(entry.key))
      yaml.fail(`unsupported key (supported: ${[...TOP_KEYS].join(', ')})`, entry.line ?? 1, entry.key);
    if (entry.key === 'tasks') tasksNode = entry.node;
    else if (entry.key === 'meta') {
      for (const m of yaml.mapping(entry.node, 'meta')) {
        const key = `meta.${m.key}`;
        if (!META_KEYS.has(m.key)) yaml.fail('unsupported key', m.line ?? 1, key);
        const v = yaml.value(m.node, key, render);
        if (typeof v !== 'boolean') yaml.fail('expected true or false', m.node, key);
        if (m.key === 'extract_upstream') spec.extractUpstream = v;
        else if (m.key === 'product_relative_to_source') productRelativeToSource = v;
        else if (m.key === 'extract_product' && v)
          yaml.fail('reading products from sources is not supported: declare `product:` in pipeline.yaml', m.node, key);
      }
    } else if (entry.key === 'executor') parseExecutor(yaml, entry.node, spec, render);
    else if (entry.key === 'cluster') {
      const v = yaml.value(entry.node, 'cluster', render);
      if (v !== 'local' && v !== 'slurm') yaml.fail('expected local or slurm', entry.node, 'cluster');
      spec.cluster = v;
    } else if (entry.key === 'serializer' || entry.key === 'unserializer')
      serializers[entry.key] = parseHook(yaml, entry.node, entry.key, render);
    else if (entry.key === 'clients') spec.fileClient = parseClients(yaml, entry.node, render);
    else spec.hooks[entry.key as keyof PipelineHooks] = parseHook(yaml, entry.node, entry.key, render);
  }
  if (tasksNode === undefined) yaml.fail('missing key `tasks`', 1, 'tasks');
  const tasksList: Node | null = tasksNode;

  const names = new Map<string, number>();
  const withHashes = (t: ParsedTask): TaskSpec => ({
    ...t,
    paramsHash: sha1(canonicalJson(t.fingerprintParams ?? t.params)),
    // Later additions enter only when set, so that existing fingerprints stay valid.
    definitionHash: sha1(
      JSON.stringify([
        SPEC_VERSION,
        t.kind,
        t.executor ?? null,
        t.source,
        t.product,
        t.inputs,
        ...(t.callable || t.onFinish || t.exportOptions || t.kernelName
          ? [t.callable ?? null, t.onFinish ?? null, t.exportOptions ?? null, t.kernelName ?? null]
          : []),
        ...(t.serializer || t.unserializer ? [t.serializer ?? null, t.unserializer ?? null] : []),
      ]),
    ),
  });
  yaml.sequence(tasksList, 'tasks').forEach((node, i) => {
    for (const parsed of parseTask(
      yaml,
      node,
      `tasks[${i}]`,
      { render, renderShell, renderStable: stableContext && renderWith(stableContext) },
      root,
      productRelativeToSource,
      serializers,
    )) {
      const task =
        parsed.kind === 'notebook' && !parsed.executor && spec.notebookExecutor
          ? { ...parsed, executor: spec.notebookExecutor }
          : parsed;
      const previous = names.get(task.name);
      if (previous !== undefined)
        yaml.fail(`duplicate task name "${task.name}" (also on line ${previous})`, task.line, `tasks[${i}].name`);
      names.set(task.name, task.line);
      spec.tasks.push(withHashes(task));
    }
  });
  return spec;
}

function parseExecutor(yaml: YamlFile, node: Node | null, spec: PipelineSpec, render: RenderString): void {
  const value = yaml.value(node, 'executor', render);
  if (value === 'jupyter' || value === 'python') {
    spec.notebookExecutor = value;
    return;
  }
  const dotted =
    typeof value === 'string'
      ? value
      : value && typeof value === 'object' && !Array.isArray(value)
        ? value.dotted_path
        : undefined;
  const kinds: Record<string, 'serial' | 'parallel'> = {
    serial: 'serial',
    parallel: 'parallel',
    'ploomber.executors.Serial': 'serial',
    'ploomber.executors.Parallel': 'parallel',
  };
  const kind = typeof dotted === 'string' ? kinds[dotted] : undefined;
  if (!kind)
    yaml.fail(
      'expected serial or parallel (scheduling), or jupyter or python (how notebook tasks run)',
      node,
      'executor',
    );
  spec.executor = kind;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const processes = value.processes;
    if (processes !== undefined) {
      if (typeof processes !== 'number' || !Number.isInteger(processes) || processes < 1)
        yaml.fail('expected a positive integer', node, 'executor.processes');
      spec.processes = processes;
    }
  }
}

/** How string scalars are rendered: placeholders, shell-quoted for shell commands, `{{now}}` kept for fingerprints. */
interface Renders {
  render: RenderString;
  renderShell: RenderString;
  renderStable: RenderString | undefined;
}

/** What the parsers of one task's keys share. */
interface TaskParsing {
  /** Where the task is (`tasks[i]`), for errors. */
  key: string;
  line: number;
  entry(name: string): MappingEntry | undefined;
  renders: Renders;
  root: string;
  productRelativeToSource: boolean;
  pipelineSerializers: Serializers;
  /** The fields the keys parsed before this one gave: `source` (source, kind, callable) and `params` come first. */
  task: Partial<ParsedTask>;
}

/** Parses one task key (`entry` undefined when the task does not have it) into the fields it gives. */
type TaskKeyParser = (entry: MappingEntry | undefined, yaml: YamlFile, t: TaskParsing) => Partial<ParsedTask>;

function parseTask(
  yaml: YamlFile,
  node: Node | null,
  key: string,
  renders: Renders,
  root: string,
  productRelativeToSource: boolean,
  pipelineSerializers: Serializers,
): ParsedTask[] {
  const line = yaml.line(node) ?? 1;
  const entries = yaml.mapping(node, key);
  const supported = Object.keys(TASK_KEY_PARSERS);
  for (const e of entries)
    if (!supported.includes(e.key))
      yaml.fail(`unsupported task key (supported: ${supported.join(', ')})`, e.line ?? line, `${key}.${e.key}`);
  const entry = (name: string) => entries.find((e) => e.key === name);
  const t: TaskParsing = {
    key,
    line,
    entry,
    renders,
    root,
    productRelativeToSource,
    pipelineSerializers,
    task: {},
  };
  for (const [name, parse] of Object.entries(TASK_KEY_PARSERS)) Object.assign(t.task, parse(entry(name), yaml, t));
  const base = { ...t.task, line } as ParsedTask;

  const gridEntry = entry('grid');
  if (!gridEntry) return [base];
  if (!entry('name'))
    yaml.fail(
      'a task with a grid needs a `name` (`[[param]]` placeholders, or a prefix for the index)',
      gridEntry.line ?? line,
      `${key}.grid`,
    );
  return expandGrid(yaml, gridEntry.node, `${key}.grid`, renders.render, base);
}

function parseSource(entry: MappingEntry | undefined, yaml: YamlFile, { key, line, root, renders }: TaskParsing) {
  if (!entry) yaml.fail('missing `source`', line, key);
  const rawSource = yaml.string(entry.node, `${key}.source`, renders.render);
  // `pkg.module.function` (Ploomber's PythonCallable) unless the last part is a file extension.
  const callable =
    /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(rawSource) &&
    !/\.(py|ipynb|sh|bash|r|rmd|sql|jl|md|json|yaml|txt)$/i.test(rawSource)
      ? rawSource
      : undefined;
  const source = toRootRelative(
    root,
    callable ? `${callable.slice(0, callable.lastIndexOf('.')).replace(/\./g, '/')}.py` : rawSource,
  );
  if (source === undefined) yaml.fail('expected a file, got the project folder', entry.node, `${key}.source`);
  const kind: SourceKind | undefined = callable ? 'callable' : sourceKindOf(source);
  if (!kind)
    yaml.fail(
      `unsupported source type "${extname(source) || rawSource}" (supported: .py, .R, .jl, .ipynb, .sh, .bash, python functions as module.function)`,
      entry.node,
      `${key}.source`,
    );
  return { source, kind, ...(callable ? { callable } : {}) };
}

function parseProduct(entry: MappingEntry | undefined, yaml: YamlFile, t: TaskParsing) {
  const { key, line, root } = t;
  if (!entry) yaml.fail('missing `product`', line, key);
  const productValue = yaml.value(entry.node, `${key}.product`, t.renders.render);
  const sourceDir = dirname(t.task.source!);
  const productPath = (p: Value, at: string): string => {
    if (typeof p !== 'string' || p === '') yaml.fail('expected a path', entry.node, at);
    const rel = toRootRelative(root, t.productRelativeToSource ? join(root, sourceDir, p) : p);
    if (rel === undefined) yaml.fail('expected a file, got the project folder', entry.node, at);
    return rel;
  };
  if (!productValue || typeof productValue !== 'object' || Array.isArray(productValue))
    return { product: productPath(productValue, `${key}.product`) };
  if (Object.keys(productValue).length === 0) yaml.fail('expected at least one product', entry.node, `${key}.product`);
  return {
    product: Object.fromEntries(
      Object.entries(productValue).map(([k, v]) => [k, productPath(v, `${key}.product.${k}`)]),
    ),
  };
}

function parseName(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders, task }: TaskParsing) {
  if (entry) return { name: yaml.string(entry.node, `${key}.name`, renders.render) };
  const { callable, source } = task;
  return { name: callable ? callable.slice(callable.lastIndexOf('.') + 1) : basename(source!, extname(source!)) };
}

function parseUpstream(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) {
  if (!entry) return {};
  const v = yaml.value(entry.node, `${key}.upstream`, renders.render);
  const list = v === null ? [] : typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string' && x !== ''))
    yaml.fail('expected a task name or a list of task names', entry.node, `${key}.upstream`);
  return { upstream: list, ...(entry.line ? { upstreamLine: entry.line } : {}) };
}

function parseParams(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) {
  const params = entry ? yaml.value(entry.node, `${key}.params`, renders.render) : {};
  if (!params || typeof params !== 'object' || Array.isArray(params))
    yaml.fail('expected a mapping of names to values', entry?.node, `${key}.params`);
  refuseComputedValues(yaml, params, entry?.node ?? null, `${key}.params`);
  const stableParams =
    entry && renders.renderStable
      ? (yaml.value(entry.node, `${key}.params`, renders.renderStable) as Record<string, Value>)
      : undefined;
  const differs = stableParams && JSON.stringify(stableParams) !== JSON.stringify(params);
  return { params, ...(differs ? { fingerprintParams: stableParams } : {}) };
}

/** `inputs`, then the files of Ploomber's `params.resources_`, whose content (not path) the task depends on too. */
function parseInputs(
  entry: MappingEntry | undefined,
  yaml: YamlFile,
  { key, root, renders, task, entry: other }: TaskParsing,
) {
  let inputs: string[] = [];
  if (entry) {
    const v = yaml.value(entry.node, `${key}.inputs`, renders.render);
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x): x is string => typeof x === 'string' && x !== ''))
      yaml.fail('expected a path or glob, or a list of them', entry.node, `${key}.inputs`);
    inputs = list.map((p) => {
      const rel = toRootRelative(root, p);
      if (rel === undefined) yaml.fail('expected files, got the project folder', entry.node, `${key}.inputs`);
      return rel;
    });
  }
  const resources = task.params!.resources_;
  if (resources === undefined) return { inputs };
  const paramsNode = other('params')?.node;
  if (
    !resources ||
    typeof resources !== 'object' ||
    Array.isArray(resources) ||
    !Object.values(resources).every((v) => typeof v === 'string' && v !== '')
  )
    yaml.fail('expected a mapping of names to file paths', paramsNode, `${key}.params.resources_`);
  for (const path of Object.values(resources) as string[]) {
    const rel = toRootRelative(root, path);
    if (rel === undefined) yaml.fail('expected files, got the project folder', paramsNode, `${key}.params.resources_`);
    inputs.push(rel);
  }
  return { inputs };
}

function parseTaskExecutor(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) {
  return entry ? { executor: yaml.string(entry.node, `${key}.executor`, renders.render) } : {};
}

/** `executor_params`, or its older name `papermill_params`: the options of the notebook executors (EXECUTOR_OPTIONS). */
function parseExecutorParams(entry: MappingEntry | undefined, yaml: YamlFile, t: TaskParsing) {
  const { key, line } = t;
  if (!entry) return {};
  // Ploomber takes `executor_params` whole when both are given; one of them is clearer, and nothing is dropped silently.
  const papermill = t.entry('papermill_params');
  if (entry.key === 'executor_params' && papermill)
    yaml.fail(
      'executor_params and papermill_params (its older name) both given: keep one',
      papermill.line ?? line,
      `${key}.papermill_params`,
    );
  const at = `${key}.${entry.key}`;
  if (t.task.kind !== 'notebook') yaml.fail('only notebook tasks have an executor to pass options to', entry.node, at);
  let logOutput = false;
  for (const option of yaml.mapping(entry.node, at)) {
    if (!EXECUTOR_OPTIONS.includes(option.key))
      yaml.fail(
        `not supported (nbpipe's notebook executors honour: ${EXECUTOR_OPTIONS.join(', ')})`,
        option.line ?? line,
        `${at}.${option.key}`,
      );
    const v = yaml.value(option.node, `${at}.${option.key}`, t.renders.render);
    if (typeof v !== 'boolean') yaml.fail('expected true or false', option.node, `${at}.${option.key}`);
    logOutput = v;
  }
  return logOutput ? { logOutput } : {};
}

/** A task hook that is a python function (`on_render`, `on_failure`). */
function taskHook(field: 'onRender' | 'onFailure'): TaskKeyParser {
  return (entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) =>
    entry ? { [field]: parseHook(yaml, entry.node, `${key}.${entry.key}`, renders.render) } : {};
}

/** `on_finish`: a python function, or a shell command. */
function parseOnFinish(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) {
  if (!entry) return {};
  return {
    onFinish: isMap(entry.node)
      ? parseHook(yaml, entry.node, `${key}.on_finish`, renders.render)
      : yaml.string(entry.node, `${key}.on_finish`, renders.renderShell),
  };
}

/** A task's own (un)serializer wins over the pipeline's; `null` opts out. Only function tasks return values. */
function serializerKey(name: 'serializer' | 'unserializer'): TaskKeyParser {
  return (
    entry: MappingEntry | undefined,
    yaml: YamlFile,
    { key, renders, task, pipelineSerializers }: TaskParsing,
  ) => {
    if (entry && task.kind !== 'callable')
      yaml.fail(
        'only function tasks (source: module.function) return values to serialize',
        entry.node,
        `${key}.${name}`,
      );
    const value = entry
      ? entry.node === null || (isScalar(entry.node) && entry.node.value === null)
        ? undefined
        : parseHook(yaml, entry.node, `${key}.${name}`, renders.render)
      : task.kind === 'callable'
        ? pipelineSerializers[name]
        : undefined;
    return value ? { [name]: value } : {};
  };
}

function parseStaticAnalysis(
  entry: MappingEntry | undefined,
  yaml: YamlFile,
  { key, renders }: TaskParsing,
): Partial<ParsedTask> {
  if (!entry) return {};
  const v = yaml.value(entry.node, `${key}.static_analysis`, renders.render);
  // Ploomber before 0.20 took true/false.
  const mode = v === true ? 'regular' : v === false ? 'disable' : v;
  if (mode !== 'regular' && mode !== 'strict' && mode !== 'disable')
    yaml.fail('expected regular, strict or disable', entry.node, `${key}.static_analysis`);
  return { staticAnalysis: mode };
}

function parseExportOptions(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders, task }: TaskParsing) {
  if (!entry) return {};
  const v = yaml.value(entry.node, `${key}.nbconvert_export_kwargs`, renders.render);
  if (!v || typeof v !== 'object' || Array.isArray(v))
    yaml.fail('expected a mapping of nbconvert options', entry.node, `${key}.nbconvert_export_kwargs`);
  if (task.kind !== 'notebook')
    yaml.fail('only notebook tasks have a report to export', entry.node, `${key}.nbconvert_export_kwargs`);
  return { exportOptions: v };
}

function parseKernelName(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders, task }: TaskParsing) {
  if (!entry) return {};
  const kernelName = yaml.string(entry.node, `${key}.kernelspec_name`, renders.render);
  if (task.kind !== 'notebook') yaml.fail('only notebook tasks run on a kernel', entry.node, `${key}.kernelspec_name`);
  return { kernelName };
}

function parseSlurm(entry: MappingEntry | undefined, yaml: YamlFile, { key, renders }: TaskParsing) {
  if (!entry) return {};
  const v = yaml.value(entry.node, `${key}.slurm`, renders.render);
  const wrong = slurmSettingsProblem(v);
  if (wrong) yaml.fail(wrong.problem, entry.node, `${key}.slurm${wrong.key ? `.${wrong.key}` : ''}`);
  return { slurm: toSlurmSettings(v as Record<string, unknown>) };
}

/**
 * One parser per task key, in the order the supported keys are listed and their problems reported: `source` and
 * `params` come before the keys that depend on them.
 */
const TASK_KEY_PARSERS: Record<string, TaskKeyParser> = {
  source: parseSource,
  product: parseProduct,
  name: parseName,
  upstream: parseUpstream,
  params: parseParams,
  // Expands the parsed task into one task per combination afterwards (expandGrid).
  grid: () => ({}),
  inputs: parseInputs,
  executor: parseTaskExecutor,
  executor_params: parseExecutorParams,
  papermill_params: parseExecutorParams,
  on_render: taskHook('onRender'),
  on_finish: parseOnFinish,
  on_failure: taskHook('onFailure'),
  serializer: serializerKey('serializer'),
  unserializer: serializerKey('unserializer'),
  static_analysis: parseStaticAnalysis,
  nbconvert_export_kwargs: parseExportOptions,
  kernelspec_name: parseKernelName,
  slurm: parseSlurm,
};

/**
 * Ploomber computes a param or grid value written `module::function` (or `{dotted_path: module::function}`)
 * by calling it when the pipeline loads; nbpipe does not, and says so rather than pass the text on.
 */
function refuseComputedValues(yaml: YamlFile, values: Record<string, Value>, node: Node | null, key: string): void {
  const computed = (v: Value): v is string => typeof v === 'string' && /^[A-Za-z_][\w.]*::[A-Za-z_]\w*$/.test(v);
  for (const [name, value] of Object.entries(values))
    for (const v of Array.isArray(value) ? value : [value]) {
      const dotted = v && typeof v === 'object' && !Array.isArray(v) ? v.dotted_path : v;
      if (dotted !== undefined && computed(dotted))
        yaml.fail(
          `${dotted}: values computed by a python function (module::function) are not supported: write the value`,
          node,
          `${key}.${name}`,
        );
    }
}

type Serializers = Partial<Record<'serializer' | 'unserializer', PythonHook>>;

/** `mod.fn`, or `{dotted_path: mod.fn, k: v}` whose other keys are keyword arguments (Ploomber's hooks, serializers, clients). */
function parseHook(yaml: YamlFile, node: Node | null, key: string, render: RenderString): PythonHook {
  const value = yaml.value(node, key, render);
  const isDotted = (v: Value | undefined): v is string =>
    typeof v === 'string' && /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(v);
  if (isDotted(value)) return { function: value, kwargs: {} };
  if (value && typeof value === 'object' && !Array.isArray(value) && isDotted(value.dotted_path)) {
    const { dotted_path: dotted, ...kwargs } = value;
    return { function: dotted, kwargs };
  }
  yaml.fail(
    'expected a python function as module.function, or {dotted_path: module.function, keyword: value, ...}',
    node,
    key,
  );
}

/** The product clients nbpipe knows: Ploomber's `File` (clients.ts); database clients have no task here to use them. */
function parseClients(yaml: YamlFile, node: Node | null, render: RenderString): PythonHook | undefined {
  let file: PythonHook | undefined;
  for (const entry of yaml.mapping(node, 'clients')) {
    if (entry.node === null || (isScalar(entry.node) && entry.node.value === null)) continue;
    if (entry.key !== 'File')
      yaml.fail(
        'not supported: nbpipe runs no SQL tasks; only a File client (products uploaded to storage) is',
        entry.line ?? 1,
        `clients.${entry.key}`,
      );
    file = parseHook(yaml, entry.node, 'clients.File', render);
  }
  return file;
}

/** One task per combination of grid values, named and with products as Ploomber names them (grid.ts). */
function expandGrid(
  yaml: YamlFile,
  node: Node | null,
  key: string,
  render: RenderString,
  base: ParsedTask,
): ParsedTask[] {
  const value = yaml.value(node, key, render);
  const grids = Array.isArray(value) ? value : [value];
  for (const grid of grids)
    if (!grid || typeof grid !== 'object' || Array.isArray(grid) || Object.keys(grid).length === 0)
      yaml.fail('expected a mapping of parameter names to lists of values (or a list of such mappings)', node, key);
  for (const grid of grids as Record<string, Value>[])
    for (const [param, values] of Object.entries(grid))
      refuseComputedValues(yaml, { [param]: Array.isArray(values) ? values : [values] }, node, key);
  const combos = gridCombinations(grids as Record<string, Value>[]);
  if (!Array.isArray(combos)) yaml.fail('expected at least one value', node, `${key}.${combos.empty}`);
  const overlap = Object.keys(base.params).filter((k) => combos.some((combo) => k in combo));
  if (overlap.length) yaml.fail(`${overlap.join(', ')} in both params and grid`, node, key);
  return combos.map((combo, i) => {
    const productPath = (p: string) => gridProductPath(p, combo, i);
    const product: ProductSpec =
      typeof base.product === 'string'
        ? productPath(base.product)
        : Object.fromEntries(Object.entries(base.product).map(([k, p]) => [k, productPath(p)]));
    const fingerprintParams = base.fingerprintParams ? { ...combo, ...base.fingerprintParams } : undefined;
    return {
      ...base,
      name: gridTaskName(base.name, combo, i),
      product,
      params: { ...combo, ...base.params },
      ...(fingerprintParams ? { fingerprintParams } : {}),
    };
  });
}

/** A path relative to the root with `/` separators (`../` for files outside it), or undefined for the root itself. */
function toRootRelative(root: string, path: string): string | undefined {
  const rel = relative(root, isAbsolute(path) ? path : join(root, path));
  if (rel === '') return undefined;
  return rel.split(sep).join('/');
}
