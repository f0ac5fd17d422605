// One export line per module; each module is one concept.
export { createStripper, stripNotebookText, parseSize, popKeyPath, StripError, DEFAULT_STRIP_KEYS, type StripOptions, type StripResult, type Stripper } from './strip.js';
export { syncPaths, pairPath, planPair, lookUpPair, planLookedUp, findJupytextConfig, conflictedFiles, SettingsCache, SyncRecord, type ConflictedFile, type SyncOutcome, type SyncOptions, type PairOptions, type PairPlan, type PlanPairOptions, type LookedUp, type MemberReader, type ProjectPairing, type FolderSettings, type JupytextConfigFile } from './sync.js';
export { runPreCommit, restageAfterPartialCommit, type PreCommitOptions, type PreCommitReport } from './precommit.js';
export { filterSteps, hookSteps, filterProcessCommand, cleanFilterCommand, gitHookScript, huskyHookLines, gitHooksDir, huskyActive, projectUsesHusky, installedHookManager, FILTER_NAME, HOOK_NAMES, type HookManager, type CliLauncher } from './git-setup.js';
export { OutputCache, DEFAULT_OUTPUT_CACHE_BOUNDS, type OutputCacheBounds } from './output-cache.js';
export { restoreCellOutputs } from './restore-outputs.js';
