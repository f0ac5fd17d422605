import { PairingError } from './errors.js';
import { parsePairing, type PairedFormat } from './formats-list.js';

/** What nbpipe takes from a jupytext configuration file (jupytext.toml, [tool.jupytext], …). */
export interface JupytextSettings {
  /** Alternative pairings; the first one that the file belongs to applies. */
  pairings: PairedFormat[][];
  /** Options of the text formats, under jupytext's names (`notebook_metadata_filter`, `cell_markers`, …). */
  formatOptions: Record<string, string | boolean>;
  /** Keys jupytext itself would reject. */
  unknownKeys: string[];
}

/** jupytext's configuration keys that set options of the text formats, with their deprecated spellings. */
const FORMAT_OPTION_KEYS: Record<string, string> = {
  notebook_metadata_filter: 'notebook_metadata_filter',
  default_notebook_metadata_filter: 'notebook_metadata_filter',
  cell_metadata_filter: 'cell_metadata_filter',
  default_cell_metadata_filter: 'cell_metadata_filter',
  cell_markers: 'cell_markers',
  default_cell_markers: 'cell_markers',
  comment_magics: 'comment_magics',
  hide_notebook_metadata: 'hide_notebook_metadata',
  root_level_metadata_as_raw_cell: 'root_level_metadata_as_raw_cell',
  split_at_heading: 'split_at_heading',
  custom_cell_magics: 'custom_cell_magics',
  custom_language_magics: 'custom_language_magics',
  doxygen_equation_markers: 'doxygen_equation_markers',
  root_level_metadata_filter: 'root_level_metadata_filter',
  cell_metadata_json: 'cell_metadata_json',
};

/** jupytext's other keys: about Jupyter, or formats nbpipe does not write; accepted and ignored. */
const OTHER_KEYS = new Set([
  'formats',
  'default_jupytext_formats',
  'preferred_jupytext_formats_save',
  'preferred_jupytext_formats_read',
  'notebook_extensions',
  'outdated_text_notebook_margin',
  'sphinx_convert_rst2md',
  'cm_config_log_level',
]);

/**
 * The pairings a `formats` value describes: `"ipynb,py:percent"`, alternatives separated by `;`, a list of
 * formats (`["ipynb", "py:percent"]`), a table mapping tree roots to formats (`{"notebooks/" = "ipynb",
 * "scripts/" = "py:percent"}`, i.e. `notebooks///ipynb,scripts///py:percent`), or a list of such tables.
 */
export function pairingsFromConfigValue(value: unknown, where: string): PairedFormat[][] {
  const fail = (why: string): never => {
    throw new PairingError(`${where}: "formats" ${why}`);
  };
  const tree = (table: Record<string, unknown>): string =>
    Object.entries(table)
      .map(([root, format]) => {
        if (typeof format !== 'string')
          fail(`maps "${root}" to a ${typeof format}, expected a format such as "py:percent"`);
        const folder = root.replace(/\/+$/, '');
        return folder === '' || folder === '.' ? format : `${folder}///${format}`;
      })
      .join(',');
  const isTable = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  let groups: string[];
  if (typeof value === 'string') groups = value.split(';');
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) groups = [value.join(',')];
  else if (isTable(value)) groups = [tree(value)];
  else if (Array.isArray(value) && value.every(isTable)) groups = value.map(tree);
  else return fail('must be a string, a list of formats, a table or a list of tables');
  return groups
    .map((g) => g.trim())
    .filter((g) => g !== '')
    .map((g) => {
      try {
        return parsePairing(g);
      } catch (e) {
        return fail(`is invalid: ${(e as Error).message}`);
      }
    });
}

/** Fill in the format name of bare extensions from `preferred_jupytext_formats_save` (e.g. `py:percent`). */
function withPreferredNames(pairing: PairedFormat[], preferred: PairedFormat[]): PairedFormat[] {
  return pairing.map((f) => {
    if (f.formatName) return f;
    const match = preferred.find((p) => p.extension === f.extension && p.formatName);
    return match ? { ...f, formatName: match.formatName } : f;
  });
}

/** Interpret a parsed jupytext configuration (from TOML, YAML or JSON); `where` names the file in errors. */
export function readJupytextSettings(config: Record<string, unknown>, where: string): JupytextSettings {
  const formatOptions: Record<string, string | boolean> = {};
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const option = FORMAT_OPTION_KEYS[key];
    if (option) {
      if (typeof value !== 'string' && typeof value !== 'boolean')
        throw new PairingError(
          `${where}: "${key}" must be a string or a boolean, got ${Array.isArray(value) ? 'a list' : typeof value}`,
        );
      // The current spelling wins over a deprecated one.
      if (key === option || !(option in formatOptions)) formatOptions[option] = value;
    } else if (!OTHER_KEYS.has(key)) unknownKeys.push(key);
  }
  const formats = config.formats ?? config.default_jupytext_formats;
  let pairings = formats === undefined ? [] : pairingsFromConfigValue(formats, where);
  const preferred = config.preferred_jupytext_formats_save;
  if (typeof preferred === 'string' && preferred.trim() !== '') {
    const names = parsePairing(preferred);
    pairings = pairings.map((p) => withPreferredNames(p, names));
  }
  return { pairings, formatOptions, unknownKeys };
}
