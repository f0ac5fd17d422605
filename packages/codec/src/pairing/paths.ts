import { PairingError } from './errors.js';
import { formatToString } from '../formats/index.js';
import { formatPairing, type PairedFormat } from './formats-list.js';

/** A member of a pair: its path and its format. */
export interface PairedPath {
  path: string;
  format: PairedFormat;
}

export interface PairedPathsOptions {
  /** The format name of `path` when known (e.g. from its header): picks among entries with the same extension. */
  formatName?: string;
  /**
   * Folder above which a tree root (`notebooks///ipynb`) is not looked for; jupytext uses the folder of its
   * configuration file. Compared with `path` as strings, so give both absolute.
   */
  ceiling?: string;
}

/** A folder name, or `null` for one that a `../` prefix climbed out of and whose name is therefore unknown. */
type Folder = string | null;

/** What all members of a pair share: the notebook's name and folders with every prefix and suffix removed. */
interface BasePath {
  absolute: boolean;
  /** Folders (for tree pairing: the folders above the root). */
  folders: Folder[];
  /** Tree pairing only: the folders between the root and the file. */
  subtree?: Folder[];
  name: string;
}

/** The parts of a prefix: `root//dir/sub/pre_` → root ["root"], folders ["dir","sub"], file prefix "pre_". */
interface PrefixParts {
  root?: string[];
  folders: string[];
  filePrefix: string;
}

const segments = (path: string): string[] => path.split('/').filter((s) => s !== '' && s !== '.');

function prefixParts(prefix: string | undefined): PrefixParts {
  if (!prefix) return { folders: [], filePrefix: '' };
  let rest = prefix;
  let root: string[] | undefined;
  const tree = prefix.lastIndexOf('//');
  if (tree >= 0) {
    root = segments(prefix.slice(0, tree));
    rest = prefix.slice(tree + 2);
  }
  const slash = rest.lastIndexOf('/');
  return { root, folders: segments(rest.slice(0, slash + 1)), filePrefix: rest.slice(slash + 1) };
}

/** Remove the format's extension, suffix and prefix from `path`; throws if the path does not fit the format. */
function basePath(path: string, format: PairedFormat, ceiling: string | undefined): BasePath {
  const short = formatToString(format);
  const misfit = (why: string) => new PairingError(`${path} does not fit the paired format "${short}": ${why}`);
  const parts = segments(path);
  let name = parts.pop() ?? '';
  if (!name.endsWith(format.extension) || name.length === format.extension.length)
    throw misfit(`expected the extension ${format.extension}`);
  name = name.slice(0, -format.extension.length);
  if (format.suffix) {
    if (!name.endsWith(format.suffix) || name === format.suffix)
      throw misfit(`expected the name to end with "${format.suffix}"`);
    name = name.slice(0, -format.suffix.length);
  }
  const prefix = prefixParts(format.prefix);
  if (prefix.filePrefix) {
    if (!name.startsWith(prefix.filePrefix) || name === prefix.filePrefix)
      throw misfit(`expected the name to start with "${prefix.filePrefix}"`);
    name = name.slice(prefix.filePrefix.length);
  }
  // Undo the prefix folders from the innermost one out.
  const folders: Folder[] = [...parts];
  for (const folder of [...prefix.folders].reverse()) {
    if (folder === '..') folders.push(null);
    else if (folders.at(-1) === folder) folders.pop();
    else throw misfit(`expected it in a folder named "${folder}"`);
  }
  const base: BasePath = { absolute: path.startsWith('/'), folders, name };
  if (!prefix.root) return base;
  // Tree pairing: the occurrence of the root closest to the file, not above the ceiling.
  const floor =
    ceiling && base.absolute && path.startsWith(ceiling.replace(/\/*$/, '/')) ? segments(ceiling).length : 0;
  const root = prefix.root;
  for (let at = folders.length - root.length; at >= floor; at--) {
    if (root.every((r, i) => folders[at + i] === r))
      return { ...base, folders: folders.slice(0, at), subtree: folders.slice(at + root.length) };
  }
  throw misfit(`expected it under a folder named "${root.join('/')}"`);
}

/** The path of the member in `format` for a notebook whose base path is `base`. */
function memberPath(base: BasePath, format: PairedFormat, formats: readonly PairedFormat[]): string {
  const prefix = prefixParts(format.prefix);
  if (Boolean(prefix.root) !== Boolean(base.subtree))
    throw new PairingError(
      `the pairing "${formatPairing(formats)}" mixes tree roots (root///ext) with other formats; use a root in all of them or in none`,
    );
  const folders: Folder[] = prefix.root
    ? [...base.folders, ...prefix.root, ...(base.subtree ?? [])]
    : [...base.folders];
  for (const folder of prefix.folders) {
    if (folder !== '..') folders.push(folder);
    else if (folders.length > 0 && folders.at(-1) !== '..') folders.pop();
    else if (base.absolute) throw new PairingError(`the prefix "${format.prefix}" climbs above the root folder`);
    else folders.push('..');
  }
  if (folders.includes(null))
    throw new PairingError(
      `cannot locate the "${formatToString(format)}" member: a "../" prefix climbs out of a folder whose name is unknown from this file; pair trees instead (e.g. notebooks///ipynb,scripts///py:percent)`,
    );
  const file = prefix.filePrefix + base.name + (format.suffix ?? '') + format.extension;
  return (base.absolute ? '/' : '') + [...(folders as string[]), file].join('/');
}

/** How specific a format's placement is: entries with a longer prefix/suffix are tried first. */
const specificity = (f: PairedFormat) => (f.prefix?.length ?? 0) + (f.suffix?.length ?? 0);

/**
 * Every member of the pair that `path` belongs to, in the order of `formats` (`auto` extensions resolved first). Throws a PairingError if the path fits none of the formats or two members collide.
 */
export function pairedPaths(
  path: string,
  formats: readonly PairedFormat[],
  options: PairedPathsOptions = {},
): PairedPath[] {
  const normalized = (path.startsWith('/') ? '/' : '') + segments(path).join('/');
  const candidates = formats
    .map((format, index) => ({ format, index }))
    .filter(({ format }) => normalized.endsWith(format.extension))
    .filter(({ format }) => !options.formatName || !format.formatName || format.formatName === options.formatName)
    .sort((a, b) => specificity(b.format) - specificity(a.format) || a.index - b.index);
  let firstMisfit: PairingError | undefined;
  for (const { format } of candidates) {
    let base: BasePath;
    try {
      base = basePath(path, format, options.ceiling);
      if (memberPath(base, format, formats) !== normalized) continue;
    } catch (e) {
      if (!(e instanceof PairingError)) throw e;
      firstMisfit ??= e;
      continue;
    }
    const members = formats.map((f) => ({ path: memberPath(base, f, formats), format: f }));
    const seen = new Set<string>();
    for (const m of members) {
      if (seen.has(m.path))
        throw new PairingError(`the pairing "${formatPairing(formats)}" gives two members the same path ${m.path}`);
      seen.add(m.path);
    }
    return members;
  }
  if (firstMisfit && candidates.length === 1) throw firstMisfit;
  throw new PairingError(`${path} is not one of the files of the pairing "${formatPairing(formats)}"`);
}
