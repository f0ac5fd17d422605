// One export line per module; each module is one concept.
export { createStripper, stripNotebookText, parseSize, popKeyPath, StripError, DEFAULT_STRIP_KEYS, type StripOptions, type StripResult, type Stripper } from './strip.js';
export { syncPaths, pairPath, findJupytextConfig, SettingsCache, SyncRecord, type SyncOutcome, type SyncOptions, type PairOptions, type ProjectPairing, type FolderSettings, type JupytextConfigFile } from './sync.js';
