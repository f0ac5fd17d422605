// One export line per module; each module is one concept.
export { createStripper, stripNotebookText, parseSize, popKeyPath, StripError, DEFAULT_STRIP_KEYS, type StripOptions, type StripResult, type Stripper } from './strip.js';
export { syncPaths, pairPath, planPair, findJupytextConfig, SettingsCache, SyncRecord, type SyncOutcome, type SyncOptions, type PairOptions, type PairPlan, type PlanPairOptions, type MemberReader, type ProjectPairing, type FolderSettings, type JupytextConfigFile } from './sync.js';
