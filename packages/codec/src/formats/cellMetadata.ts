import type { JsonObject, JsonValue } from '@nbpipe/nbformat';
import { isJupyterLanguage } from './languages.js';
import { pythonJsonDumps, tryParseRelaxedValue } from './pyjson.js';
import { pyStrip } from './text.js';

/** Cell metadata that only bookkeeps the text layout: stored in the ipynb, never on marker lines. */
export const JUPYTEXT_CELL_METADATA: readonly string[] = [
  'skipline',
  'noskipline',
  'cell_marker',
  'lines_to_next_cell',
  'lines_to_end_of_cell_marker',
];

const VALID_KEY = /^[a-zA-Z0-9_.@/-]+$/;
const IDENTIFIER = /^[a-zA-Z_.]+[a-zA-Z0-9_.]*$/;

/** Whether a metadata key can be written on a marker line. */
export const isValidMetadataKey = (key: string): boolean => VALID_KEY.test(key);

/** Whether marker options use the JSON form (`{…}` before any `=`). */
export function isJsonMetadata(text: string): boolean {
  const brace = text.indexOf('{');
  if (brace < 0) return false;
  const equal = text.indexOf('=');
  return equal < 0 || brace < equal;
}

/**
 * Marker options (`title [markdown] key="value" .class`) to a title (or a language when
 * `allowTitle` is false) and the metadata.
 */
export function textToMetadata(rawText: string, allowTitle = false): { title: string; metadata: JsonObject } {
  const text = pyStrip(rawText);
  const brace = text.indexOf('{');
  const equal = text.indexOf('=');
  if (brace < 0 || (equal >= 0 && equal < brace)) {
    if (!allowTitle) {
      if (isJupyterLanguage(text)) return { title: text, metadata: {} };
      const space = text.indexOf(' ');
      if (space < 0) return { title: '', metadata: parseKeyEqualValue(text) };
      const language = text.slice(0, space);
      if (isJupyterLanguage(language)) return { title: language, metadata: parseKeyEqualValue(text.slice(space + 1)) };
      return { title: '', metadata: parseKeyEqualValue(text) };
    }
    let words: string[];
    if (equal >= 0) {
      words = text.slice(0, equal).split(' ');
      while (words.length && !words[words.length - 1]) words.pop();
      words.pop(); // the key of the first `=`
    } else words = text.split(' ');
    while (words.length && (!pyStrip(words[words.length - 1]!) || words[words.length - 1]!.startsWith('.')))
      words.pop();
    const title = words.join(' ');
    return { title, metadata: parseKeyEqualValue(text.slice(title.length)) };
  }
  const title = pyStrip(text.slice(0, brace));
  const json = text.slice(brace);
  const value = tryParseRelaxedValue(json);
  const metadata =
    value !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as JsonObject)
      : { incorrectly_encoded_metadata: pyStrip(json) };
  return { title, metadata };
}

/** `key=value` options, parsed from the right so that values may contain spaces and `=`. */
export function parseKeyEqualValue(rawText: string): JsonObject {
  const text = pyStrip(rawText);
  if (!text) return {};
  const lastSpace = text.lastIndexOf(' ');
  const lastWord = text.slice(lastSpace + 1);
  if (!text.startsWith('--') && IDENTIFIER.test(lastWord)) {
    const left = lastSpace > 0 ? parseKeyEqualValue(text.slice(0, lastSpace)) : {};
    return withKey(left, lastWord, null);
  }
  let searchEnd = text.length;
  for (;;) {
    const equal = searchEnd > 0 ? text.lastIndexOf('=', searchEnd - 1) : -1;
    if (equal < 0) return { incorrectly_encoded_metadata: text };
    searchEnd = equal;
    const before = text.slice(0, equal).replace(/\s+$/, '');
    const prevSpace = before.lastIndexOf(' ');
    const key = pyStrip(text.slice(prevSpace + 1, equal));
    if (!VALID_KEY.test(key)) continue;
    const value = tryParseRelaxedValue(text.slice(equal + 1));
    if (value === undefined) continue;
    const left = prevSpace > 0 ? parseKeyEqualValue(text.slice(0, prevSpace)) : {};
    return withKey(left, key, value);
  }
}

function withKey(obj: JsonObject, key: string, value: JsonValue): JsonObject {
  // Keep the text's order: a key repeated further right moves to its last position.
  delete obj[key];
  obj[key] = value;
  return obj;
}

/**
 * Metadata to marker options: `[title or language] key=value …` (JSON values, Python's `json.dumps`
 * style), or one JSON object when `json` is set. With `title` undefined, a `title` key is taken out of
 * the metadata and written first (markdown regions).
 */
export function metadataToText(titleOrLanguage: string | undefined, metadata: JsonObject, json = false): string {
  const md: JsonObject = {};
  for (const [k, v] of Object.entries(metadata)) if (!JUPYTEXT_CELL_METADATA.includes(k) && v !== undefined) md[k] = v;
  const parts: string[] = titleOrLanguage ? [titleOrLanguage] : [];
  if (
    titleOrLanguage === undefined &&
    typeof md.title === 'string' &&
    !md.title.includes('{') &&
    !md.title.includes('=')
  ) {
    parts.unshift(md.title);
    delete md.title;
  }
  if (json) {
    if (Object.keys(md).length) parts.push(pythonJsonDumps(md));
  } else {
    for (const [key, value] of Object.entries(md)) {
      if (key === 'incorrectly_encoded_metadata') parts.push(String(value));
      // A bare word is a null value, but before the first `=` it would read back as (part of) a title,
      // unless it is a `.class` attribute: other null values are written `key=null`.
      else if (value === null && key.startsWith('.')) parts.push(key);
      else parts.push(`${key}=${pythonJsonDumps(value)}`);
    }
  }
  return parts.join(' ');
}
