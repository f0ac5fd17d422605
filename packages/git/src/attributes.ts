import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * nbpipe's lines in an attributes file live in one marked block, so that `uninstall` finds exactly what `install`
 * wrote and users' own lines (before, after, or even inside the block) are never touched.
 */
export const ATTRIBUTES_BLOCK_BEGIN =
  '# >>> nbpipe: managed by `nbpipe install`; `nbpipe uninstall` removes these lines';
export const ATTRIBUTES_BLOCK_END = '# <<< nbpipe';

interface Block {
  begin: number;
  /** Index of the end marker (lines.length when it is missing: the block then runs to the end). */
  end: number;
}

function splitText(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `lines` as text, ending as `original` does: with a newline, or (a file whose last line had none) without, so that
 * removing nbpipe's block gives the file back byte for byte.
 */
function joinLikeOriginal(lines: readonly string[], original: string): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (original === '' || original.endsWith('\n') ? '\n' : '');
}

function findBlock(lines: readonly string[]): Block | undefined {
  const begin = lines.findIndex((l) => l.trimEnd() === ATTRIBUTES_BLOCK_BEGIN);
  if (begin < 0) return undefined;
  const after = lines.slice(begin + 1).findIndex((l) => l.trimEnd() === ATTRIBUTES_BLOCK_END);
  return { begin, end: after < 0 ? lines.length : begin + 1 + after };
}

/** The lines inside nbpipe's block (without the markers). */
export function managedAttributeLines(text: string): string[] {
  const lines = splitText(text);
  const block = findBlock(lines);
  return block ? lines.slice(block.begin + 1, block.end) : [];
}

/**
 * `text` with each of `wanted` present in nbpipe's block, which is appended at the end when missing (later lines win
 * in git attributes, so ours take effect). Returns the text unchanged when every line is already there.
 */
export function addAttributeLines(text: string, wanted: readonly string[]): string {
  const lines = splitText(text);
  const block = findBlock(lines);
  if (!block) return joinLikeOriginal([...lines, ATTRIBUTES_BLOCK_BEGIN, ...wanted, ATTRIBUTES_BLOCK_END], text);
  const present = new Set(lines.slice(block.begin + 1, block.end));
  const missing = wanted.filter((l) => !present.has(l));
  if (missing.length === 0) return text;
  const endMarker = block.end === lines.length ? [ATTRIBUTES_BLOCK_END] : [];
  lines.splice(block.end, 0, ...missing, ...endMarker);
  return joinLikeOriginal(lines, text);
}

/**
 * `text` without `unwanted` inside nbpipe's block; the block's markers go too once nothing is left inside it.
 * Lines outside the block are never touched.
 */
export function removeAttributeLines(text: string, unwanted: readonly string[]): string {
  const lines = splitText(text);
  const block = findBlock(lines);
  if (!block) return text;
  const remove = new Set(unwanted);
  const inside = lines.slice(block.begin + 1, block.end);
  const kept = inside.filter((l) => !remove.has(l));
  if (kept.length === inside.length) return text;
  const endMarker = block.end < lines.length ? 1 : 0;
  const replacement =
    kept.length === 0 ? [] : [ATTRIBUTES_BLOCK_BEGIN, ...kept, ...(endMarker ? [ATTRIBUTES_BLOCK_END] : [])];
  lines.splice(block.begin, block.end - block.begin + endMarker, ...replacement);
  return joinLikeOriginal(lines, text);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Apply `edit` to an attributes file atomically. A missing file reads as empty and is created (with its folder) only
 * when the edit adds something; a file left empty by the edit is deleted. Returns whether anything changed.
 */
export async function editAttributesFile(path: string, edit: (text: string) => string): Promise<boolean> {
  const before = await readIfExists(path);
  const after = edit(before ?? '');
  if (after === (before ?? '')) return false;
  if (after === '') {
    await rm(path, { force: true });
    await removeEmptyFolders(dirname(path));
    return true;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, after);
  return true;
}

/**
 * `dir` and the folders above it, as long as each is empty: the folders install made for an attributes file
 * (`~/.config/git`, and `~/.config` in a new home, for --global). Never the home folder itself.
 */
async function removeEmptyFolders(dir: string): Promise<void> {
  for (let folder = dir; folder !== homedir() && folder !== dirname(folder); folder = dirname(folder)) {
    if (
      !(await rmdir(folder).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

/** The text of an attributes file, empty when it does not exist. */
export async function readAttributesFile(path: string): Promise<string> {
  return (await readIfExists(path)) ?? '';
}
