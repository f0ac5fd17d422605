import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parsePythonLiteral, type PlainValue } from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';
import { substituteInShell, UnsafeSubstitution } from './shell-quote.js';
import type { YamlFile } from './yaml-file.js';

/** A value of pipeline.yaml/env.yaml after loading: plain JSON (nbformat's PlainValue, under the name the pipeline uses). */
export type Value = PlainValue;

/** Placeholders every pipeline may use without an env.yaml. */
export const BUILTIN_PLACEHOLDERS = ['root', 'here', 'cwd', 'user', 'now', 'git', 'git_hash'] as const;

/** Values of the built-ins that need git; computed only when a file mentions them (`git describe` is a process). */
export interface GitPlaceholders {
  git?: string;
  git_hash?: string;
}

export interface EnvOptions {
  /** Folder of pipeline.yaml: `{{here}}`. */
  here: string;
  cwd: string;
  git?: GitPlaceholders;
  /** `--env key=value` overrides, keys dotted for nested values. */
  overrides?: Record<string, string>;
  /** Render `{{now}}` as itself: used for the values that enter fingerprints, which must not change every run. */
  keepNow?: boolean;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Whether a text uses `{{name}}` (any spacing). */
export function mentionsPlaceholder(text: string, name: string): boolean {
  return new RegExp(`\\{\\{\\s*${name.replace('.', '\\.')}\\s*\\}\\}`).test(text);
}

/** The values placeholders resolve to: built-ins, env.yaml keys (flattened with dots) and `env.VAR`. */
export class PlaceholderContext {
  private readonly values = new Map<string, Value>();
  /** Keys of env.yaml (not built-ins), for `--env` validation and error hints. */
  readonly envKeys: string[] = [];

  constructor(private readonly options: EnvOptions) {}

  private builtin(name: string): Value | undefined {
    const o = this.options;
    switch (name) {
      case 'here':
        return o.here;
      case 'cwd':
        return o.cwd;
      case 'root':
        return projectRoot(o.here);
      case 'user':
        return userInfo().username;
      case 'now':
        return o.keepNow ? '{{now}}' : isoNow();
      case 'git':
      case 'git_hash': {
        const v = o.git?.[name];
        if (v === undefined) throw new Error(`{{${name}}} needs a git repository with at least one commit`);
        return v;
      }
    }
    if (name.startsWith('env.')) return process.env[name.slice(4)];
    return undefined;
  }

  lookup(name: string): Value | undefined {
    return this.values.has(name) ? this.values.get(name) : this.builtin(name);
  }

  define(key: string, value: Value): void {
    this.values.set(key, value);
    if (value && typeof value === 'object' && !Array.isArray(value))
      for (const [k, v] of Object.entries(value)) this.define(`${key}.${k}`, v);
  }

  /**
   * Render the placeholders of one string. A string that held a placeholder is cast back to a type
   * as Ploomber does (`true`, `none`, numbers, lists…); `where` names the file, line and key for errors.
   */
  render(text: string, where: () => Where): Value {
    if (!text.includes('{{')) return text;
    let whole: Value | undefined;
    const rendered = text.replace(PLACEHOLDER, (match, name: string) => {
      const value = this.resolve(match, name, where);
      if (match === text) whole = value;
      return pythonStr(value);
    });
    if (whole !== undefined) return whole;
    return castRendered(rendered);
  }

  /** Render the placeholders of a shell command: each value quoted for where it lands, so it stays data (README: nbpipe run). */
  renderShell(text: string, where: () => Where): string {
    try {
      return substituteInShell(text, PLACEHOLDER, ([match, name]) => pythonStr(this.resolve(match, name!, where)));
    } catch (e) {
      if (!(e instanceof UnsafeSubstitution)) throw e;
      const w = where();
      throw new PipelineError(e.message, w.file, w.line, w.key);
    }
  }

  private resolve(match: string, name: string, where: () => Where): Value {
    let value: Value | undefined;
    try {
      value = this.lookup(name);
    } catch (e) {
      const w = where();
      throw new PipelineError((e as Error).message, w.file, w.line, w.key);
    }
    if (value === undefined) {
      const w = where();
      const known = [...this.envKeys, ...BUILTIN_PLACEHOLDERS];
      throw new PipelineError(
        `unknown placeholder ${match} (known: ${known.join(', ')}, env.NAME)`,
        w.file,
        w.line,
        w.key,
      );
    }
    return value;
  }
}

/** Where a rendered string comes from, for errors. */
interface Where {
  file: string;
  line?: number;
  key: string;
}

/** How Python's str() prints a value, which is what a Jinja placeholder inside a longer string gives. */
function pythonStr(value: Value): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function castRendered(text: string): Value {
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'none' || lower === 'null') return null;
  try {
    return parsePythonLiteral(text) as Value;
  } catch {
    return text;
  }
}

/** Cast a `--env` value from the command line: `true`, `3`, `[1, 2]` become typed, anything else a string. */
export function castOverride(text: string): Value {
  return castRendered(text);
}

function isoNow(): string {
  // Python's datetime.now().isoformat(): local time, microseconds, no zone.
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** `{{root}}`: the nearest folder at or above pipeline.yaml's with a setup.py (a Python package project), else `here`. */
function projectRoot(here: string): string {
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'setup.py'))) return dir;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return here;
  }
}

/**
 * Load env.yaml into the context: keys in order (later keys may use earlier ones), `--env` overrides
 * replacing values before they are used, and values under a top-level `path` key expanded (`~`).
 */
export function loadEnvFile(
  context: PlaceholderContext,
  env: YamlFile | undefined,
  overrides: Record<string, string>,
): void {
  const remaining = new Map(Object.entries(overrides));
  if (env && env.root !== null) {
    for (const entry of env.mapping(env.root, '')) {
      context.envKeys.push(entry.key);
      let value = env.value(entry.node, entry.key, (text, key, line) =>
        context.render(text, () => ({ file: env.file, line, key })),
      );
      value = applyOverrides(entry.key, value, remaining);
      if (entry.key === 'path') value = expandPaths(value);
      context.define(entry.key, value);
    }
  }
  if (remaining.size > 0) {
    const [name] = remaining.keys();
    const known = context.envKeys.length ? `env.yaml defines: ${context.envKeys.join(', ')}` : 'there is no env.yaml';
    throw new PipelineError(`--env ${name}: no such key (${known})`);
  }
}

function applyOverrides(key: string, value: Value, remaining: Map<string, string>): Value {
  for (const [name, raw] of [...remaining]) {
    if (name === key) {
      remaining.delete(name);
      value = castOverride(raw);
    } else if (name.startsWith(key + '.') && value && typeof value === 'object' && !Array.isArray(value)) {
      const path = name.slice(key.length + 1).split('.');
      let target = value as Record<string, Value>;
      for (const part of path.slice(0, -1)) {
        const next = target[part];
        if (!next || typeof next !== 'object' || Array.isArray(next)) break;
        target = next as Record<string, Value>;
      }
      const last = path[path.length - 1]!;
      if (last in target) {
        target[last] = castOverride(raw);
        remaining.delete(name);
      }
    }
  }
  return value;
}

function expandPaths(value: Value): Value {
  if (typeof value === 'string')
    return value === '~' ? homedir() : value.startsWith('~/') ? join(homedir(), value.slice(2)) : value;
  if (Array.isArray(value)) return value.map(expandPaths);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandPaths(v)]));
  return value;
}
