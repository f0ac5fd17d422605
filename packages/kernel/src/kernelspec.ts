import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Notebook } from '@nbpipe/nbformat';
import { KernelError } from './errors.js';

/** An installed kernel, read from `<data dir>/kernels/<name>/kernel.json`. */
export interface JupyterKernelSpec {
  /** Directory name, lower-cased as Jupyter does. */
  name: string;
  /** The kernel's directory (`{resource_dir}` in argv). */
  resourceDir: string;
  argv: string[];
  displayName: string;
  language: string;
  env: Record<string, string>;
  interruptMode: 'signal' | 'message';
  metadata: Record<string, unknown>;
}

type Env = Record<string, string | undefined>;

/**
 * Jupyter's data directories in precedence order: `JUPYTER_PATH`, the user data dir, the active
 * Python environment's `share/jupyter` (we are not Python, so `sys.prefix` is the activated
 * `VIRTUAL_ENV`/`CONDA_PREFIX`), then the system dirs. `JUPYTER_PREFER_ENV_PATH` puts the
 * environment before the user dir, as jupyter_core does.
 */
export function jupyterDataDirs(env: Env = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const fromJupyterPath = (env.JUPYTER_PATH ?? '').split(platform === 'win32' ? ';' : delimiter).filter(Boolean);
  const user = env.JUPYTER_DATA_DIR || userDataDir(env, platform);
  const prefixes = [env.VIRTUAL_ENV, env.CONDA_PREFIX].filter((p): p is string => !!p);
  const envDirs = prefixes.map((p) => join(p, 'share', 'jupyter'));
  const system =
    platform === 'win32'
      ? [join(env.PROGRAMDATA ?? 'C:\\ProgramData', 'jupyter')]
      : ['/usr/local/share/jupyter', '/usr/share/jupyter'];
  const preferEnv = /^(1|true|yes|on)$/i.test(env.JUPYTER_PREFER_ENV_PATH ?? '');
  const ordered = [...fromJupyterPath, ...(preferEnv ? [...envDirs, user] : [user, ...envDirs]), ...system];
  return [...new Set(ordered)];
}

function userDataDir(env: Env, platform: NodeJS.Platform): string {
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'jupyter');
}

export interface KernelSpecSearch {
  /** Data directories to search (default: `jupyterDataDirs()`). */
  dataDirs?: string[];
}

/**
 * Every installed kernelspec; a name found in an earlier data dir hides later ones.
 * Directories without a readable kernel.json are skipped, as `jupyter kernelspec list` does.
 */
export function listKernelSpecs(options: KernelSpecSearch = {}): JupyterKernelSpec[] {
  const found = new Map<string, JupyterKernelSpec>();
  for (const dataDir of options.dataDirs ?? jupyterDataDirs()) {
    for (const [name, resourceDir] of kernelDirsIn(join(dataDir, 'kernels'))) {
      if (found.has(name)) continue;
      try {
        found.set(name, readKernelSpec(resourceDir, name));
      } catch {
        // an unreadable spec does not hide a valid one of the same name further down the path
      }
    }
  }
  return [...found.values()];
}

/** The kernelspec called `name` (case-insensitive), or a NO_KERNELSPEC error listing what exists. */
export function findKernelSpec(name: string, options: KernelSpecSearch = {}): JupyterKernelSpec {
  const wanted = name.toLowerCase();
  for (const dataDir of options.dataDirs ?? jupyterDataDirs()) {
    const resourceDir = kernelDirsIn(join(dataDir, 'kernels')).get(wanted);
    if (resourceDir) return readKernelSpec(resourceDir, wanted);
  }
  throw new KernelError('NO_KERNELSPEC', `no kernel named "${name}"; ${describeAvailable(options)}`);
}

export interface KernelChoice extends KernelSpecSearch {
  /** Explicit choice (`--kernel NAME`); wins over the notebook's metadata. */
  kernelName?: string;
  /** Language to fall back on when the notebook names no kernel (e.g. from a `.R` source). */
  language?: string;
}

/**
 * The kernel a notebook should run on: `kernelName`, else `metadata.kernelspec.name`, else the
 * first kernel (in path order, then by name) whose language matches `metadata.kernelspec.language`,
 * `metadata.language_info.name` or `language`. A named kernel that is not installed falls back on
 * its language, as the notebook's language is what the code needs.
 */
export function chooseKernelSpec(
  nb: Pick<Notebook, 'metadata'> | undefined,
  choice: KernelChoice = {},
): JupyterKernelSpec {
  if (choice.kernelName) return findKernelSpec(choice.kernelName, choice);
  const meta = nb?.metadata;
  const named = typeof meta?.kernelspec?.name === 'string' ? meta.kernelspec.name : undefined;
  if (named) {
    try {
      return findKernelSpec(named, choice);
    } catch (e) {
      if (!(e instanceof KernelError && e.code === 'NO_KERNELSPEC')) throw e;
    }
  }
  const languages = [meta?.kernelspec?.language, meta?.language_info?.name, choice.language]
    .filter((l): l is string => typeof l === 'string' && l !== '')
    .map((l) => l.toLowerCase());
  if (languages.length > 0) {
    const specs = listKernelSpecs(choice);
    for (const language of languages) {
      const match = specs.find((s) => s.language.toLowerCase() === language);
      if (match) return match;
    }
  }
  const wanted = named
    ? `kernel "${named}"`
    : languages.length
      ? `kernel for language "${languages[0]}"`
      : 'kernel (the notebook names none)';
  throw new KernelError('NO_KERNELSPEC', `no ${wanted}; ${describeAvailable(choice)}`);
}

function describeAvailable(options: KernelSpecSearch): string {
  const names = listKernelSpecs(options).map((s) => `${s.name} (${s.language})`);
  return names.length
    ? `installed kernels: ${names.join(', ')}`
    : `no kernels are installed (searched ${(options.dataDirs ?? jupyterDataDirs()).map((d) => join(d, 'kernels')).join(', ')})`;
}

/** Kernel directories (lower-cased name → path) that contain a kernel.json. */
function kernelDirsIn(kernelsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  let entries: string[];
  try {
    entries = readdirSync(kernelsDir).sort();
  } catch {
    return out;
  }
  for (const entry of entries) {
    const dir = join(kernelsDir, entry);
    try {
      if (!statSync(join(dir, 'kernel.json')).isFile()) continue;
    } catch {
      continue;
    }
    const name = entry.toLowerCase();
    if (!out.has(name)) out.set(name, dir);
  }
  return out;
}

function readKernelSpec(resourceDir: string, name: string): JupyterKernelSpec {
  const file = join(resourceDir, 'kernel.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KernelError('BAD_KERNELSPEC', `${file}: cannot read kernel.json: ${(e as Error).message}`);
  }
  const bad = (problem: string) => new KernelError('BAD_KERNELSPEC', `${file}: ${problem}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not a JSON object');
  const spec = raw as Record<string, unknown>;
  const argv = spec.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string'))
    throw bad('"argv" must be a non-empty list of strings');
  const env = spec.env ?? {};
  if (
    typeof env !== 'object' ||
    env === null ||
    Array.isArray(env) ||
    !Object.values(env).every((v) => typeof v === 'string')
  )
    throw bad('"env" must map names to strings');
  const interruptMode = spec.interrupt_mode ?? 'signal';
  if (interruptMode !== 'signal' && interruptMode !== 'message')
    throw bad('"interrupt_mode" must be "signal" or "message"');
  return {
    name,
    resourceDir,
    argv: argv as string[],
    displayName: typeof spec.display_name === 'string' ? spec.display_name : name,
    language: typeof spec.language === 'string' ? spec.language : '',
    env: env as Record<string, string>,
    interruptMode,
    metadata:
      typeof spec.metadata === 'object' && spec.metadata !== null ? (spec.metadata as Record<string, unknown>) : {},
  };
}

/**
 * The Python interpreter a Python kernel runs on: its `argv[0]` (`{resource_dir}` filled in), looked up on
 * `PATH` when it is a bare name — the program the kernel's launch starts, as jupyter_client's Popen finds it.
 * A wrapper script there counts as the interpreter: it is what sets the kernel's environment up. Undefined
 * for kernels of other languages.
 */
export function kernelInterpreter(spec: JupyterKernelSpec, env: Env = process.env): string | undefined {
  if (spec.language.toLowerCase() !== 'python') return undefined;
  const program = spec.argv[0]!.replace(/\{resource_dir\}/g, spec.resourceDir);
  if (program.includes('/')) return program;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: the next PATH entry
    }
  }
  return program;
}
