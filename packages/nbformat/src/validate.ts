import { JsonFloat, type JsonObject } from './types.js';

/** The first structural problem of an nbformat 4 notebook (after line rejoining), or undefined. */
export function findProblem(nb: JsonObject): { path: string; problem: string } | undefined {
  try {
    checkNotebook(nb);
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return { path: e.path, problem: e.message };
    throw e;
  }
}

/**
 * The first problem of a notebook that even a lenient reader must refuse: one Jupyter's own writer fails on too (no
 * metadata object, cells that are not a list of objects, outputs that are not objects), which is also what
 * serialize relies on.
 */
export function findWriterProblem(nb: JsonObject): { path: string; problem: string } | undefined {
  try {
    need(nb, '', 'metadata', isObject, 'an object');
    need(nb, '', 'cells', Array.isArray, 'an array');
    (nb.cells as unknown[]).forEach((cell, k) => {
      if (!isObject(cell)) throw new Problem(`cells[${k}]`, `expected an object, got ${typeName(cell)}`);
      const at = `cells[${k}]`;
      if ('metadata' in cell) need(cell, at, 'metadata', isObject, 'an object');
      if ('attachments' in cell) need(cell, at, 'attachments', isMimeBundles, 'an object of mime bundles');
      if (Array.isArray(cell.outputs))
        cell.outputs.forEach((output, j) => {
          if (!isObject(output))
            throw new Problem(`${at}.outputs[${j}]`, `expected an object, got ${typeName(output)}`);
          if ('data' in output) need(output, `${at}.outputs[${j}]`, 'data', isObject, 'an object');
        });
    });
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return { path: e.path, problem: e.message };
    throw e;
  }
}

const isMimeBundles = (v: unknown) => isObject(v) && Object.values(v).every(isObject);

class Problem extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

function need(obj: JsonObject, path: string, key: string, check: (v: unknown) => boolean, expected: string): void {
  if (!(key in obj)) throw new Problem(path, `missing "${key}"`);
  if (!check(obj[key]))
    throw new Problem(path ? `${path}.${key}` : key, `expected ${expected}, got ${typeName(obj[key])}`);
}
const isString = (v: unknown) => typeof v === 'string';
const isStringList = (v: unknown) => Array.isArray(v) && v.every(isString);
const isMultiline = (v: unknown) => isString(v) || isStringList(v);
const isCount = (v: unknown) => v === null || (isInteger(v) && (v as number) >= 0);

function only(obj: JsonObject, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Problem(path, `unexpected property "${key}"`);
  }
}

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

function checkNotebook(nb: JsonObject): void {
  need(nb, '', 'nbformat', (v) => v === 4, '4');
  need(nb, '', 'nbformat_minor', (v) => isInteger(v) && (v as number) >= 0, 'a non-negative integer');
  need(nb, '', 'metadata', isObject, 'an object');
  need(nb, '', 'cells', Array.isArray, 'an array');
  only(nb, '', ['nbformat', 'nbformat_minor', 'metadata', 'cells']);
  const meta = nb.metadata as JsonObject;
  if ('kernelspec' in meta) {
    need(meta, 'metadata', 'kernelspec', isObject, 'an object');
    const ks = meta.kernelspec as JsonObject;
    need(ks, 'metadata.kernelspec', 'name', isString, 'a string');
    need(ks, 'metadata.kernelspec', 'display_name', isString, 'a string');
  }
  if ('language_info' in meta) {
    need(meta, 'metadata', 'language_info', isObject, 'an object');
    need(meta.language_info as JsonObject, 'metadata.language_info', 'name', isString, 'a string');
  }
  const minor = nb.nbformat_minor as number;
  const seen = new Set<string>();
  (nb.cells as unknown[]).forEach((cell, k) => checkCell(cell, `cells[${k}]`, minor, seen));
}

function checkCell(cell: unknown, path: string, minor: number, ids: Set<string>): void {
  if (!isObject(cell)) throw new Problem(path, `expected an object, got ${typeName(cell)}`);
  need(cell, path, 'cell_type', (v) => v === 'code' || v === 'markdown' || v === 'raw', '"code", "markdown" or "raw"');
  need(cell, path, 'metadata', isObject, 'an object');
  need(cell, path, 'source', isMultiline, 'a string or a list of strings');
  if (minor >= 5) need(cell, path, 'id', isString, 'a string');
  if ('id' in cell) {
    if (!isString(cell.id) || !CELL_ID.test(cell.id as string))
      throw new Problem(`${path}.id`, 'expected 1-64 letters, digits, "-" or "_"');
    if (ids.has(cell.id as string)) throw new Problem(`${path}.id`, `duplicate cell id "${cell.id as string}"`);
    ids.add(cell.id as string);
  }
  if (cell.cell_type === 'code') {
    need(cell, path, 'outputs', Array.isArray, 'an array');
    need(cell, path, 'execution_count', isCount, 'null or a non-negative integer');
    only(cell, path, ['id', 'cell_type', 'metadata', 'source', 'outputs', 'execution_count']);
    (cell.outputs as unknown[]).forEach((o, k) => checkOutput(o, `${path}.outputs[${k}]`));
  } else {
    only(cell, path, ['id', 'cell_type', 'metadata', 'source', 'attachments']);
    if ('attachments' in cell) {
      need(cell, path, 'attachments', isObject, 'an object');
      for (const [name, bundle] of Object.entries(cell.attachments as JsonObject)) {
        if (!isObject(bundle)) throw new Problem(`${path}.attachments.${name}`, 'expected a mime bundle object');
      }
    }
  }
}

function checkOutput(out: unknown, path: string): void {
  if (!isObject(out)) throw new Problem(path, `expected an object, got ${typeName(out)}`);
  need(out, path, 'output_type', isString, 'a string');
  switch (out.output_type) {
    case 'stream':
      need(out, path, 'name', isString, 'a string');
      need(out, path, 'text', isMultiline, 'a string or a list of strings');
      only(out, path, ['output_type', 'name', 'text']);
      return;
    case 'execute_result':
      // Jupyter reads and writes a result without a count (README, "Slips repaired on read"): only a present one is checked.
      if ('execution_count' in out) need(out, path, 'execution_count', isCount, 'null or a non-negative integer');
    // fall through: the rest is a display_data
    case 'display_data':
      need(out, path, 'data', isObject, 'an object');
      need(out, path, 'metadata', isObject, 'an object');
      only(
        out,
        path,
        out.output_type === 'execute_result'
          ? ['output_type', 'execution_count', 'data', 'metadata']
          : ['output_type', 'data', 'metadata', 'transient'],
      );
      return;
    case 'error':
      need(out, path, 'ename', isString, 'a string');
      need(out, path, 'evalue', isString, 'a string');
      need(out, path, 'traceback', isStringList, 'a list of strings');
      only(out, path, ['output_type', 'ename', 'evalue', 'traceback']);
      return;
    default:
      throw new Problem(`${path}.output_type`, `unknown output type ${JSON.stringify(out.output_type)}`);
  }
}
