import type { JsonObject, Notebook } from '@nbpipe/nbformat';
import { FormatError } from './errors.js';
import { extensionForLanguage, isScriptExtension } from './languages.js';

/** The text formats this codec reads and writes. */
export type FormatName = 'percent' | 'hydrogen' | 'light' | 'nomarker' | 'markdown';

/**
 * One format, as in jupytext's short form `[prefix/][suffix]ext[:format_name]`: `py:percent`,
 * `.pct.py:percent`, `scripts//py`, `md`, `ipynb`, `auto:light`.
 */
export interface FormatSpec {
  /** `.py`, `.md`, `.ipynb`, … or `auto` (the script extension of the notebook's language). */
  extension: string;
  formatName?: FormatName;
  /** File-name suffix before the extension (`.pct` in `.pct.py`). */
  suffix?: string;
  /** Path prefix (`scripts/` in `scripts//py`); see the pairing module for its meaning. */
  prefix?: string;
}

/** `format_version` written into headers, per format (markdown files with the `.markdown` extension differ). */
export function formatVersion(formatName: FormatName, extension: string): string {
  switch (formatName) {
    case 'percent':
    case 'hydrogen':
      return '1.3';
    case 'light':
      return '1.5';
    case 'nomarker':
      return '1.0';
    case 'markdown':
      return extension === '.markdown' ? '1.2' : '1.3';
  }
}

const KNOWN_NAMES: ReadonlySet<string> = new Set(['percent', 'hydrogen', 'light', 'nomarker', 'markdown']);
const UNSUPPORTED_NAMES: ReadonlySet<string> = new Set([
  'rmarkdown',
  'spin',
  'sphinx',
  'myst',
  'pandoc',
  'quarto',
  'marimo',
]);
const ALIASES: Record<string, string> = {
  notebook: 'ipynb',
  markdown: 'md',
  script: 'auto',
  'c++': 'cpp',
};
const UNSUPPORTED_ALIASES: ReadonlySet<string> = new Set(['rmarkdown', 'quarto', 'myst', 'pandoc', 'marimo']);
const MARKDOWN_EXTENSIONS: ReadonlySet<string> = new Set(['.md', '.markdown']);

/** Parse a format name such as `py:percent`, `R:light`, `md`, `auto:percent`, `.py`, `ipynb`, `.pct.py:percent`. */
export function parseFormat(name: string): FormatSpec {
  const original = name;
  const trimmed = name.trim();
  if (!trimmed) throw new FormatError('empty format name');
  const lower = trimmed.toLowerCase();
  if (UNSUPPORTED_ALIASES.has(lower))
    throw new FormatError(
      `format '${original}' is not supported (supported: percent, light, hydrogen, nomarker, markdown, ipynb)`,
    );
  let rest = ALIASES[lower] ?? trimmed;
  const spec: FormatSpec = { extension: '' };
  const slash = rest.lastIndexOf('/');
  if (slash > 0) {
    spec.prefix = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(':');
  let formatName: string | undefined;
  if (colon >= 0) {
    formatName = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (formatName === 'bare') formatName = 'nomarker';
  }
  const dot = rest.lastIndexOf('.');
  if (dot > 0) {
    spec.suffix = rest.slice(0, dot);
    rest = rest.slice(dot);
  }
  const extension = rest === 'auto' || rest.startsWith('.') ? rest : '.' + rest;
  spec.extension = extension === '.auto' ? 'auto' : extension;
  if (!isKnownExtension(spec.extension))
    throw new FormatError(
      `unknown format '${original}': '${spec.extension}' is not a notebook, script or markdown extension`,
    );
  if (formatName !== undefined) {
    if (UNSUPPORTED_NAMES.has(formatName))
      throw new FormatError(
        `format '${original}': the ${formatName} format is not supported (supported: percent, light, hydrogen, nomarker, markdown)`,
      );
    if (!KNOWN_NAMES.has(formatName))
      throw new FormatError(
        `unknown format '${original}': no format named '${formatName}' (use percent, light, hydrogen, nomarker or markdown)`,
      );
    const isMarkdownExt = MARKDOWN_EXTENSIONS.has(spec.extension);
    if (spec.extension !== '.ipynb' && isMarkdownExt !== (formatName === 'markdown'))
      throw new FormatError(`format '${original}': the ${formatName} format does not apply to ${spec.extension} files`);
    spec.formatName = formatName as FormatName;
  }
  return spec;
}

function isKnownExtension(extension: string): boolean {
  return (
    extension === 'auto' || extension === '.ipynb' || MARKDOWN_EXTENSIONS.has(extension) || isScriptExtension(extension)
  );
}

/** The short form of a format (`py:percent`, `scripts//py:light`, `.pct.py:percent`, `md`). */
export function formatToString(spec: FormatSpec): string {
  let out = spec.prefix ? spec.prefix + '/' : '';
  out += spec.suffix ? spec.suffix + spec.extension : spec.extension.replace(/^\./, '');
  if (spec.formatName && !(MARKDOWN_EXTENSIONS.has(spec.extension) && spec.formatName === 'markdown'))
    out += ':' + spec.formatName;
  return out;
}

/**
 * The script extension for `auto`, from the notebook's metadata: `language_info.file_extension`
 * (with jupytext's fix-ups), else the first extension whose language is the kernel's.
 */
export function autoExtension(metadata: JsonObject): string | undefined {
  const languageInfo = metadata.language_info as JsonObject | undefined;
  const kernelspec = metadata.kernelspec as JsonObject | undefined;
  const jupytext = metadata.jupytext as JsonObject | undefined;
  let ext = typeof languageInfo?.file_extension === 'string' ? languageInfo.file_extension : undefined;
  if (ext === '.py' && kernelspec?.language === 'sage') return '.sage';
  if (ext === undefined) {
    const language = kernelspec?.language || jupytext?.main_language;
    if (typeof language === 'string' && language) ext = extensionForLanguage(language);
  }
  const fixups: Record<string, string> = { '.r': '.R', '.fs': '.fsx', '.resource': '.robot', '.C': '.cpp' };
  return ext === undefined ? undefined : (fixups[ext] ?? ext);
}

/** Replace `auto` by the extension of the notebook's language. */
export function resolveFormat(spec: FormatSpec, notebook: Pick<Notebook, 'metadata'>): FormatSpec {
  if (spec.extension !== 'auto') return spec;
  const extension = autoExtension(notebook.metadata);
  if (!extension)
    throw new FormatError("cannot use 'auto': the notebook's language is unknown (no kernelspec or language_info)");
  if (!isScriptExtension(extension))
    throw new FormatError(
      `cannot use 'auto': the notebook's file extension ${extension} is not a known script extension`,
    );
  return { ...spec, extension };
}

/** Whether the extension is a markdown one. */
export const isMarkdownExtension = (extension: string): boolean => MARKDOWN_EXTENSIONS.has(extension);
