import { NotebookError, type JsonObject, type Notebook } from '@nbpipe/nbformat';
import { FormatError, parseFormat, resolveFormat } from '../formats/index.js';
import { PairingError } from './errors.js';
import { formatPairing, parsePairing, type PairedFormat } from './formats-list.js';
import { pairedPaths, type PairedPath } from './paths.js';
import { readMember, type TextFormatOptions } from './sync.js';

export interface PairLookupOptions {
  /** The project's pairings (our configuration's, else jupytext's), tried in order when the notebook names none. */
  projectPairings?: readonly PairedFormat[][];
  /** Options of the text formats from the project's configuration. */
  formatOptions?: TextFormatOptions;
  /** Tree roots (`notebooks///ipynb`) are not looked for above this folder: the configuration's. */
  ceiling?: string;
}

export type PairLookup =
  | {
      paired: true;
      /** Every member, in the order of the pairing; `path` is one of them. */
      members: PairedPath[];
      /** Where the pairing comes from: the notebook's own `jupytext.formats`, or the project's configuration. */
      origin: 'notebook' | 'project';
      /** The file read as a notebook. */
      notebook: Notebook;
    }
  | { paired: false; reason: string; notebook: Notebook };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The extension of a path (`.py` for `nb.pct.py`). */
export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** The format in which a file is read before its pairing is known: its extension's, the text format detected. */
export function fileFormat(path: string): PairedFormat {
  const extension = extensionOf(path);
  try {
    return { extension: parseFormat(extension.slice(1)).extension };
  } catch {
    throw new NotebookError(
      'INVALID',
      `not a notebook: nbpipe reads .ipynb and the text formats (.py, .md, .R, …), not "${extension || 'no extension'}"`,
      path,
    );
  }
}

/** The pairing recorded in a notebook's metadata (`jupytext.formats`, or the legacy `jupytext_formats`). */
export function recordedPairing(nb: Notebook): string | undefined {
  const jupytext = nb.metadata.jupytext;
  const formats = isObject(jupytext) ? jupytext.formats : undefined;
  const legacy = nb.metadata.jupytext_formats ?? nb.metadata.nbrmd_formats;
  const value = formats ?? legacy;
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').join(',');
  return typeof value === 'string' ? value : undefined;
}

/** The format name a text file was read in, when the reader recorded it. */
function formatNameOf(nb: Notebook): string | undefined {
  const jupytext = nb.metadata.jupytext;
  const representation = isObject(jupytext) ? jupytext.text_representation : undefined;
  const name = isObject(representation) ? representation.format_name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** Replace `auto` extensions by the notebook's script extension; other formats are unchanged. */
export function resolvePairing(formats: readonly PairedFormat[], nb: Notebook): PairedFormat[] {
  return formats.map((f) => resolveFormat(f, nb));
}

/**
 * The pair that the file at `path` (with `content`) belongs to: by the notebook's own `jupytext.formats`, else
 * by the first project pairing that lists its extension (and its format name, for a text file) and fits its
 * path. A pairing of a single format means "not paired" (it disables the project's pairing, as in jupytext).
 */
export function findPair(path: string, content: string, options: PairLookupOptions = {}): PairLookup {
  const own = fileFormat(path);
  const notebook = readMember(path, own, content, options.formatOptions);
  const formatName = own.extension === '.ipynb' ? undefined : formatNameOf(notebook);
  const recorded = recordedPairing(notebook);
  if (recorded !== undefined) {
    let formats: PairedFormat[];
    try {
      formats = resolvePairing(parsePairing(recorded), notebook);
    } catch (e) {
      throw new PairingError(`${path}: ${(e as Error).message}`);
    }
    if (formats.length < 2) return { paired: false, reason: `its pairing is "${recorded}": a single format`, notebook };
    return {
      paired: true,
      members: pairedPaths(path, formats, { formatName, ceiling: options.ceiling }),
      origin: 'notebook',
      notebook,
    };
  }
  for (const pairing of options.projectPairings ?? []) {
    try {
      // A pairing with `auto` does not apply to a notebook whose language is unknown.
      const formats = resolvePairing(pairing, notebook);
      const listed = formats.some(
        (f) => f.extension === own.extension && (!formatName || !f.formatName || f.formatName === formatName),
      );
      if (formats.length < 2 || !listed) continue;
      return {
        paired: true,
        members: pairedPaths(path, formats, { formatName, ceiling: options.ceiling }),
        origin: 'project',
        notebook,
      };
    } catch (e) {
      if (!(e instanceof PairingError || e instanceof FormatError)) throw e;
    }
  }
  const tried = (options.projectPairings ?? []).map((p) => `"${formatPairing(p)}"`).join(', ');
  return {
    paired: false,
    reason: tried
      ? `it has no pairing of its own and does not fit the project's (${tried})`
      : 'it has no pairing and the project sets none',
    notebook,
  };
}
