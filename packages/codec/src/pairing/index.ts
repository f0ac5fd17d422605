// Pairing: the `formats` metadata, the paths of a pair's members, combining a text's cells with a .ipynb's outputs, and sync plans.
export { combineInputsAndOutputs, matchCells, type CellMatch, type CombineOptions, type Combined } from './combine.js';
export { PairingError } from './errors.js';
export { parsePairing, formatPairing, type PairedFormat } from './formats-list.js';
export { pairedPaths, type PairedPath, type PairedPathsOptions } from './paths.js';
export {
  planSync,
  inputsDigest,
  readMember,
  sameCells,
  type SyncMember,
  type SyncPlan,
  type PlannedMember,
  type PlanSyncOptions,
  type TextFormatOptions,
} from './sync.js';
export {
  findPair,
  fileFormat,
  extensionOf,
  recordedPairing,
  resolvePairing,
  type PairLookup,
  type PairLookupOptions,
} from './lookup.js';
export { readJupytextSettings, pairingsFromConfigValue, type JupytextSettings } from './jupytext-config.js';
