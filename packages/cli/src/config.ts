import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError } from './errors.js';

/** A config value's expected shape. Each feature adds its section to CONFIG_SCHEMA below. */
type Shape =
  | 'string'
  | 'boolean'
  | 'number'
  | 'string[]'
  | 'object' // free-form mapping (e.g. environment variables)
  | { enum: readonly string[] }
  | { [key: string]: Shape };

/** Every key the project configuration may hold. An unknown key or a wrong type is an error. */
export const CONFIG_SCHEMA: { [key: string]: Shape } = {
  /** Default pairing for `nbpipe pair`/`sync`, e.g. "ipynb,py:percent". */
  pairing: 'string',
  /** Output stripping (`nbpipe strip`, the git filter, the pre-commit hook); same names as the strip flags. */
  strip: {
    keepOutput: 'boolean',
    keepCount: 'boolean',
    keepId: 'boolean',
    extraKeys: 'string[]',
    keepMetadataKeys: 'string[]',
    dropEmptyCells: 'boolean',
    dropTaggedCells: 'string[]',
    stripInitCells: 'boolean',
    maxSize: 'number',
    keepOutputTypes: 'string[]',
    dropOutputTypes: 'string[]',
  },
  /**
   * `nbpipe run`: how notebook tasks run unless pipeline.yaml says (default: a Jupyter kernel when one matches, else the
   * embedded python executor), the characters each stream output keeps in an executed notebook, whether Python kernels
   * are forked from a warm parent (default true) and the modules it preloads (README "Fresh kernels").
   */
  pipeline: {
    executor: { enum: ['jupyter', 'python'] },
    maxOutputChars: 'number',
    forkKernels: 'boolean',
    preload: 'string[]',
  },
  /** `nbpipe export argo`: the Argo Workflows settings (see ArgoOptions in @nbpipe/pipeline). */
  argo: {
    image: 'string',
    command: 'string[]',
    projectDir: 'string',
    name: 'string',
    namespace: 'string',
    serviceAccountName: 'string',
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    resources: { requests: 'object', limits: 'object' },
    taskResources: 'object',
    env: 'object',
    storage: { enum: ['volume', 'artifacts'] },
    volume: { claimName: 'string', size: 'string', storageClassName: 'string', accessModes: 'string[]' },
  },
  /** `nbpipe run`: `slurm` submits the tasks as Slurm jobs (as `--slurm` does). */
  cluster: { enum: ['local', 'slurm'] },
  /** `run --slurm`, `export slurm`: the default resources of each job (see SlurmSettings in @nbpipe/pipeline). */
  slurm: {
    partition: 'string',
    time: 'string',
    cpus: 'number',
    memory: 'string',
    gres: 'string',
    account: 'string',
    qos: 'string',
    extra: 'string[]',
  },
};

export interface NbpipeConfig {
  pairing?: string;
  [key: string]: unknown;
}

export interface LoadedConfig {
  config: NbpipeConfig;
  /** The file it came from, or undefined when no configuration was found. */
  filepath?: string;
}

const MODULE = 'nbpipe';
const SEARCH_PLACES = [
  'package.json',
  `.${MODULE}rc`,
  `.${MODULE}rc.json`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `${MODULE}.config.js`,
  `${MODULE}.config.mjs`,
  `${MODULE}.config.cjs`,
  `${MODULE}.config.ts`,
  `${MODULE}.config.json`,
  `${MODULE}.config.yaml`,
  `${MODULE}.config.yml`,
];

/** Where cosmiconfig looks, in the working directory, for a configuration of its own search (its "meta config"). */
const COSMICONFIG_META_PLACES = [
  'package.json',
  'package.yaml',
  '.config/config.json',
  '.config/config.yaml',
  '.config/config.yml',
  '.config/config.js',
  '.config/config.ts',
  '.config/config.cjs',
  '.config/config.mjs',
];

/**
 * Whether cosmiconfig's project search from `cwd` could find anything: one of the search places exists in a folder it
 * visits (from `cwd` up to the first folder with a package.json or package.yaml), or a configuration of cosmiconfig
 * itself in the working directory. When not, loading cosmiconfig (~30 ms, most of a command's start:
 * scripts/startup-rules.mjs) would only confirm that there is no configuration.
 */
function configMayExist(cwd: string): boolean {
  if (COSMICONFIG_META_PLACES.some((place) => existsSync(join(process.cwd(), place)))) return true;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (SEARCH_PLACES.some((place) => existsSync(join(dir, place)))) return true;
    if (existsSync(join(dir, 'package.yaml')) || dirname(dir) === dir) return false;
  }
}

/** Find and validate the project configuration, searching from `cwd` up to the nearest package.json. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  if (!explicitPath && !configMayExist(cwd)) return { config: {} };
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = cosmiconfig(MODULE, { searchPlaces: SEARCH_PLACES, searchStrategy: 'project' });
  let result;
  try {
    result = explicitPath ? await explorer.load(explicitPath) : await explorer.search(cwd);
  } catch (e) {
    const err = e as Error & { filepath?: string; mark?: { line: number } };
    const where = err.filepath ?? explicitPath ?? 'configuration';
    throw new CliError(`${where}: cannot read configuration: ${err.message.split('\n')[0]}`);
  }
  if (!result || result.isEmpty) return { config: {}, filepath: result?.filepath };
  validate(result.config, CONFIG_SCHEMA, result.filepath, '');
  return { config: result.config as NbpipeConfig, filepath: result.filepath };
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function validate(value: unknown, shape: Shape, file: string, path: string): void {
  const fail = (problem: string): never => {
    throw new CliError(`${file}: ${path ? `"${path}"` : 'configuration'}: ${problem}`);
  };
  if (typeof shape === 'string') {
    const ok =
      shape === 'string[]'
        ? Array.isArray(value) && value.every((x) => typeof x === 'string')
        : shape === 'object'
          ? typeOf(value) === 'object'
          : typeof value === shape;
    if (!ok) fail(`expected ${shape === 'string[]' ? 'a list of strings' : `a ${shape}`}, got ${typeOf(value)}`);
    return;
  }
  if ('enum' in shape && Array.isArray(shape.enum)) {
    const allowed = shape.enum as readonly string[];
    if (typeof value !== 'string' || !allowed.includes(value))
      fail(`expected one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(value)}`);
    return;
  }
  if (typeOf(value) !== 'object') fail(`expected a mapping, got ${typeOf(value)}`);
  const fields = shape as { [key: string]: Shape };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = fields[key];
    const at = path ? `${path}.${key}` : key;
    if (!sub) throw new CliError(`${file}: unknown key "${at}"`);
    validate(v, sub, file, at);
  }
}
