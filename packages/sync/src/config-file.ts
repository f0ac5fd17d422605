import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { decodeNotebookBytes } from '@nbpipe/nbformat';

// Finding the jupytext configuration file, apart from reading its settings (sync.ts, through @nbpipe/codec): the
// pipeline asks whether its notebook sources' folders have one before it loads the codec and its YAML parser
// (`@nbpipe/sync/config-file`; scripts/startup-rules.mjs).

/** jupytext's configuration file names, in the order it looks for them in each folder. */
const JUPYTEXT_CONFIG_FILES = [
  'jupytext',
  'jupytext.toml',
  'jupytext.yml',
  'jupytext.yaml',
  'jupytext.json',
  '.jupytext',
  '.jupytext.toml',
  '.jupytext.yml',
  '.jupytext.yaml',
  '.jupytext.json',
  '.jupytext.py',
];

/** A jupytext configuration found: its file, its table of settings (not yet checked), and how to name it in messages. */
export interface FoundJupytextConfig {
  path: string;
  table: Record<string, unknown>;
  where: string;
}

/** A file's text, or undefined when there is no such file. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return decodeNotebookBytes(await fs.readFile(path), path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    if ((e as { code?: string }).code === 'EMPTY') return '';
    throw e;
  }
}

async function parseConfigText(path: string, text: string): Promise<Record<string, unknown>> {
  const name = path.slice(path.lastIndexOf(sep) + 1);
  try {
    if (name.endsWith('.json')) return JSON.parse(text) as Record<string, unknown>;
    if (name.endsWith('.yml') || name.endsWith('.yaml')) {
      // Bundled by esbuild, a dynamic import of this CommonJS package yields only a default export.
      const yaml = await import('yaml');
      const parse = yaml.parse ?? (yaml as unknown as { default: typeof yaml }).default.parse;
      return (parse(text) ?? {}) as Record<string, unknown>;
    }
    const { parse } = await import('smol-toml');
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    const where = e as { line?: number; column?: number; linePos?: { line: number; col: number }[] };
    const line = where.line ?? where.linePos?.[0]?.line;
    const message = (e as Error).message.split('\n')[0];
    throw new Error(`${path}: cannot read the jupytext configuration${line ? ` (line ${line})` : ''}: ${message}`);
  }
}

/**
 * The jupytext configuration file that applies to files in `dir`, found as jupytext does: in `dir` and each parent,
 * the first of jupytext.toml, .jupytext, … (an empty `.jupytext` ends the search), then a pyproject.toml with a
 * [tool.jupytext] table; the search stops below any folder listed in JUPYTEXT_CEILING_DIRECTORIES. jupytext's
 * global configuration folders (~/.config/jupytext, …) are not read: a repository's behaviour should not depend
 * on who runs it.
 */
export async function findJupytextConfigFile(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FoundJupytextConfig | undefined> {
  const ceilings = new Set(
    (env.JUPYTEXT_CEILING_DIRECTORIES ?? '')
      .split(':')
      .filter(Boolean)
      .map((d) => resolve(d)),
  );
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (ceilings.has(current)) return undefined;
    for (const name of JUPYTEXT_CONFIG_FILES) {
      const path = join(current, name);
      // Most of these files do not exist: a synchronous check costs microseconds, a failed asynchronous read ~0.3 ms.
      if (!existsSync(path)) continue;
      const text = await readIfExists(path);
      if (text === undefined) continue;
      if (name === '.jupytext.py')
        throw new Error(
          `${path}: jupytext configurations written in Python are not supported; move the settings to jupytext.toml`,
        );
      if (name === '.jupytext' && text.trim() === '') return undefined;
      return { path, table: await parseConfigText(path, text), where: path };
    }
    const pyproject = join(current, 'pyproject.toml');
    const text = existsSync(pyproject) ? await readIfExists(pyproject) : undefined;
    if (text !== undefined) {
      const tool = (await parseConfigText(pyproject, text)).tool as Record<string, unknown> | undefined;
      const table = tool?.jupytext;
      if (table && typeof table === 'object' && !Array.isArray(table))
        return { path: pyproject, table: table as Record<string, unknown>, where: `${pyproject} [tool.jupytext]` };
    }
    if (dirname(current) === current) return undefined;
  }
}
