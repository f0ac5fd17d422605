import { FormatError, formatToString, parseFormat, type FormatSpec } from '../formats/index.js';
import { PairingError } from './errors.js';

/**
 * One member of a pairing: a format plus where its file lives relative to the others (jupytext's short form
 * `[prefix/][suffix]ext[:format_name]`: `scripts//py:percent`, `.pct.py:percent`, `notebooks///ipynb`).
 */
export type PairedFormat = FormatSpec;

/** Parse a `formats` value such as `ipynb,py:percent` or `notebooks///ipynb,scripts///py:percent`. */
export function parsePairing(formats: string): PairedFormat[] {
  return formats
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      try {
        return parseFormat(item);
      } catch (e) {
        if (e instanceof FormatError) throw new PairingError(`invalid pairing "${formats}": ${e.message}`);
        throw e;
      }
    });
}

/** The short form of a pairing, as jupytext writes it into `formats`. */
export function formatPairing(formats: readonly PairedFormat[]): string {
  return formats.map(formatToString).join(',');
}
