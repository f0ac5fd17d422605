import {
  JsonFloat,
  newCellId,
  codeCell,
  pythonFloatRepr,
  pythonStringRepr,
  type Cell,
  type Notebook,
} from '@nbpipe/nbformat';
import { KernelError } from './errors.js';

/** Tag of the cell holding a notebook's default parameters (papermill's convention). */
export const PARAMETERS_TAG = 'parameters';
/** Tag of the cell we add with the values for one run. */
export const INJECTED_PARAMETERS_TAG = 'injected-parameters';

export type ParameterLanguage = 'python' | 'r' | 'julia';

/** How one language spells values and assignments. */
interface Translator {
  name: string;
  none: string;
  bool: (v: boolean) => string;
  str: (v: string) => string;
  /** For NaN and ±Infinity. */
  special: (v: number) => string;
  list: (items: string[]) => string;
  dict: (entries: [string, string][]) => string;
  /** `name = value`, or an error message if `name` cannot be a variable. */
  assign: (name: string, value: string) => string;
}

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);
const PYTHON_IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
const R_SYNTACTIC_NAME = /^(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$|^\.$/;
const R_RESERVED = new Set(
  'if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ NA_real_ NA_character_ in'.split(
    ' ',
  ),
);
const JULIA_IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_!]*$/u;

const python: Translator = {
  name: 'Python',
  none: 'None',
  bool: (v) => (v ? 'True' : 'False'),
  str: pythonStringRepr,
  special: (v) => (Number.isNaN(v) ? "float('nan')" : v > 0 ? "float('inf')" : "float('-inf')"),
  list: (items) => `[${items.join(', ')}]`,
  dict: (entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`,
  assign: (name, value) => {
    if (!PYTHON_IDENTIFIER.test(name) || PYTHON_KEYWORDS.has(name)) throw badName(name, 'Python');
    return `${name} = ${value}`;
  },
};

const r: Translator = {
  name: 'R',
  none: 'NULL',
  bool: (v) => (v ? 'TRUE' : 'FALSE'),
  str: (v) => `"${escapeControl(v.replace(/\\/g, '\\\\').replace(/"/g, '\\"'), 'R')}"`,
  special: (v) => (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'),
  list: (items) => `list(${items.join(', ')})`,
  dict: (entries) => `list(${entries.map(([k, v]) => `${k} = ${v}`).join(', ')})`,
  // non-syntactic names (my-param, _x) are still variables in R when quoted with backticks
  assign: (name, value) => {
    if (name === '' || name.includes('`') || name.includes('\0')) throw badName(name, 'R');
    return `${R_SYNTACTIC_NAME.test(name) && !R_RESERVED.has(name) ? name : `\`${name.replace(/\\/g, '\\\\')}\``} = ${value}`;
  },
};

const julia: Translator = {
  name: 'Julia',
  none: 'nothing',
  bool: (v) => (v ? 'true' : 'false'),
  str: (v) => `"${escapeControl(v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$'), 'Julia')}"`,
  special: (v) => (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'),
  list: (items) => `[${items.join(', ')}]`,
  dict: (entries) => `Dict(${entries.map(([k, v]) => `${k} => ${v}`).join(', ')})`,
  assign: (name, value) => {
    if (!JULIA_IDENTIFIER.test(name)) throw badName(name, 'Julia');
    return `${name} = ${value}`;
  },
};

const TRANSLATORS: Record<ParameterLanguage, Translator> = { python, r, julia };

/** The translator for a kernel language (`python`, `R`, `julia`; case-insensitive), or a PARAMETERS error. */
function translatorFor(language: string): Translator {
  const translator = TRANSLATORS[language.toLowerCase() as ParameterLanguage];
  if (!translator)
    throw new KernelError(
      'PARAMETERS',
      `cannot write parameters in ${language ? `"${language}"` : 'an unknown language'}: supported kernel languages are Python, R and Julia`,
    );
  return translator;
}

/**
 * Source of an injected-parameters cell in the kernel's language, as papermill writes it: a
 * comment line, then one `name = value` line per parameter (values are JSON-like: strings,
 * numbers, booleans, null, arrays and plain objects).
 */
export function parametersCell(
  language: string,
  values: Record<string, unknown>,
  options: { comment?: string } = {},
): string {
  const translator = translatorFor(language);
  const lines = [`# ${options.comment ?? 'Parameters'}`];
  for (const [name, value] of Object.entries(values))
    lines.push(translator.assign(name, literal(translator, value, name)));
  return lines.map((line) => `${line}\n`).join('');
}

export interface InjectOptions {
  /** The kernel's language. */
  language: string;
  /** Comment on the cell's first line (default "Parameters"). */
  comment?: string;
}

export interface Injection {
  notebook: Notebook;
  /** Index of the injected cell. */
  index: number;
  /**
   * `replaced`: an earlier injected cell was overwritten in place; `after-parameters`: placed right
   * after the `parameters` cell; `top`: the notebook has no `parameters` cell (worth a warning).
   */
  placement: 'replaced' | 'after-parameters' | 'top';
}

/**
 * Insert the parameters as a code cell tagged `injected-parameters`: in place of an existing one,
 * else right after the first cell tagged `parameters`, else at the top (papermill's placement).
 * A replaced cell keeps its id so re-injecting makes a minimal diff. Returns a new notebook.
 */
export function injectParameters(nb: Notebook, values: Record<string, unknown>, options: InjectOptions): Injection {
  const source = parametersCell(options.language, values, options);
  const cells = [...nb.cells];
  const existing = findTaggedCell(nb, INJECTED_PARAMETERS_TAG);
  const parameters = findTaggedCell(nb, PARAMETERS_TAG);
  const ids = new Set(cells.map((c) => c.id).filter((id): id is string => typeof id === 'string'));
  const cell = codeCell(source, { metadata: { tags: [INJECTED_PARAMETERS_TAG] } });
  if (existing >= 0) {
    const old = cells[existing]!;
    if (old.id !== undefined) cell.id = old.id;
    cells[existing] = cell;
    return { notebook: { ...nb, cells }, index: existing, placement: 'replaced' };
  }
  if (nb.nbformat_minor >= 5) cell.id = newCellId(ids);
  const index = parameters >= 0 ? parameters + 1 : 0;
  cells.splice(index, 0, cell);
  return { notebook: { ...nb, cells }, index, placement: parameters >= 0 ? 'after-parameters' : 'top' };
}

/** The notebook without its injected-parameters cells (a new notebook; the same one if there are none). */
export function removeInjectedParameters(nb: Notebook): Notebook {
  const cells = nb.cells.filter((cell) => !hasTag(cell, INJECTED_PARAMETERS_TAG));
  return cells.length === nb.cells.length ? nb : { ...nb, cells };
}

/** Index of the first cell carrying `tag` in `metadata.tags`, or -1. */
export function findTaggedCell(nb: Pick<Notebook, 'cells'>, tag: string): number {
  return nb.cells.findIndex((cell) => hasTag(cell, tag));
}

export function hasTag(cell: Cell, tag: string): boolean {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) && tags.includes(tag);
}

function literal(t: Translator, value: unknown, path: string): string {
  if (value === null) return t.none;
  if (value instanceof JsonFloat) {
    if (!Number.isFinite(value.value)) return t.special(value.value);
    return value.raw;
  }
  switch (typeof value) {
    case 'boolean':
      return t.bool(value);
    case 'string':
      return t.str(value);
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) return t.special(value);
      if (Number.isInteger(value) && !Object.is(value, -0)) return BigInt(value).toString();
      return t === python ? pythonFloatRepr(value) : String(value);
    case 'object': {
      if (Array.isArray(value)) return t.list(value.map((item, i) => literal(t, item, `${path}[${i}]`)));
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null)
        return t.dict(Object.entries(value as object).map(([k, v]) => [t.str(k), literal(t, v, `${path}.${k}`)]));
    }
  }
  const kind =
    value === undefined
      ? 'undefined'
      : typeof value === 'object'
        ? ((value as object).constructor?.name ?? 'object')
        : typeof value;
  throw new KernelError(
    'PARAMETERS',
    `parameter ${path}: cannot write a value of type ${kind} in ${t.name} (use JSON-like values)`,
  );
}

function badName(name: string, language: string): KernelError {
  return new KernelError(
    'PARAMETERS',
    `parameter name ${JSON.stringify(name)} is not a valid ${language} variable name`,
  );
}

/** Escape line breaks and other control characters inside an R or Julia string literal. */
function escapeControl(s: string, language: string): string {
  return s.replace(/[\0-\x1f\x7f]/g, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    if (ch === '\0') throw new KernelError('PARAMETERS', `a ${language} string cannot contain a NUL character`);
    return `\\u${hex(ch.charCodeAt(0), 4)}`;
  });
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
