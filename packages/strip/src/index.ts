// One export line per module; each module is one concept.
export {
  createStripper,
  stripNotebookText,
  parseSize,
  popKeyPath,
  StripError,
  DEFAULT_STRIP_KEYS,
  type StripOptions,
  type StripResult,
  type Stripper,
} from './strip.js';
export { restoreCellOutputs } from './restore-outputs.js';
