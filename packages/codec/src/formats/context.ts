import type { JsonObject, JsonValue } from '@nbpipe/nbformat';
import { scriptLanguage } from './languages.js';
import type { FormatName } from './spec.js';

/** jupytext's format options (`--opt key=value`, `metadata.jupytext.<key>`, config). */
export const BOOLEAN_FORMAT_OPTIONS = [
  'comment_magics',
  'hide_notebook_metadata',
  'root_level_metadata_as_raw_cell',
  'split_at_heading',
  'rst2md',
  'cell_metadata_json',
  'use_runtools',
  'doxygen_equation_markers',
] as const;
export const STRING_FORMAT_OPTIONS = [
  'notebook_metadata_filter',
  'root_level_metadata_filter',
  'cell_metadata_filter',
  'cell_markers',
  'custom_cell_magics',
  'custom_language_magics',
] as const;
export const FORMAT_OPTIONS: readonly string[] = [...BOOLEAN_FORMAT_OPTIONS, ...STRING_FORMAT_OPTIONS];

export type FormatOptions = Record<string, JsonValue>;

/** Everything a cell reader or writer needs to know about the format being used. */
export interface FormatContext {
  extension: string;
  formatName: FormatName;
  /** Line comment of the script language; empty for markdown. */
  comment: string;
  commentSuffix: string;
  /** Effective format options. */
  options: FormatOptions;
  /** The format version of the file being read, if its header says. */
  formatVersion?: string;
}

export function makeContext(
  extension: string,
  formatName: FormatName,
  options: FormatOptions,
  formatVersion?: string,
): FormatContext {
  const script = scriptLanguage(extension);
  return {
    extension,
    formatName,
    comment: formatName === 'markdown' ? '' : (script?.comment ?? '#'),
    commentSuffix: formatName === 'markdown' ? '' : (script?.commentSuffix ?? ''),
    options,
    formatVersion,
  };
}

export function optionString(ctx: FormatContext, key: string): string | undefined {
  const v = ctx.options[key];
  return typeof v === 'string' ? v : undefined;
}

export function optionBoolean(ctx: FormatContext, key: string, fallback: boolean): boolean {
  const v = ctx.options[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** Whether magics are commented: on by default for percent and light, off for hydrogen and markdown. */
export function commentMagicsEnabled(ctx: FormatContext): boolean {
  return optionBoolean(
    ctx,
    'comment_magics',
    ctx.formatName === 'percent' || ctx.formatName === 'light' || ctx.formatName === 'nomarker',
  );
}

export function customList(ctx: FormatContext, key: 'custom_cell_magics' | 'custom_language_magics'): string[] {
  return (optionString(ctx, key) ?? '').split(',').filter(Boolean);
}

/**
 * Whether a cell is active (its content is live code) in a given extension: `run_control.frozen`
 * cells only in ipynb, then an `active-<ext>-…` tag, then the `active="ipynb,py"` key, else `fallback`.
 */
export function isActive(extension: string, metadata: JsonObject, fallback = true): boolean {
  const ext = extension.replace(/\./g, '');
  const runControl = metadata.run_control as JsonObject | undefined;
  if (runControl && typeof runControl === 'object' && runControl.frozen === true) return ext === 'ipynb';
  const tags = Array.isArray(metadata.tags) ? metadata.tags : [];
  for (const tag of tags) if (typeof tag === 'string' && tag.startsWith('active-')) return tag.split('-').includes(ext);
  if (!('active' in metadata)) return fallback;
  return String(metadata.active).split(/[.,]/).includes(ext);
}

export function hasActiveTag(metadata: JsonObject): boolean {
  return Array.isArray(metadata.tags) && metadata.tags.some((t) => typeof t === 'string' && t.startsWith('active-'));
}
