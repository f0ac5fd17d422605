// One export line per module; each module is one concept.
export { writeFileAtomic, isProcessAlive } from './atomic.js';
export {
  GitError,
  runGit,
  gitOutput,
  findRepository,
  repositoryAt,
  requireRepository,
  changedFiles,
  hasCommit,
  readFilesAtRevision,
  type GitResult,
  type RunGitOptions,
  type Repository,
  type ChangedFile,
  type ChangeStatus,
} from './repo.js';
export {
  getGitConfig,
  getEffectiveGitConfig,
  gitConfigOrigin,
  setGitConfig,
  unsetGitConfig,
  attributesFileFor,
  type ConfigScope,
  type ConfigTarget,
} from './config.js';
export {
  ATTRIBUTES_BLOCK_BEGIN,
  ATTRIBUTES_BLOCK_END,
  managedAttributeLines,
  addAttributeLines,
  removeAttributeLines,
  editAttributesFile,
  readAttributesFile,
} from './attributes.js';
export {
  DRIVER_NAME,
  DRIVER_CANNOT_START,
  shellQuote,
  nodeCommand,
  diffCommand,
  textconvCommand,
  mergeDriverCommand,
  type DriverLauncher,
} from './drivers.js';
export {
  gitConfigStep,
  attributesStep,
  diffMergeSteps,
  installSteps,
  uninstallSteps,
  CELL_HEADER_PATTERN,
  type InstallTarget,
  type InstallStep,
  type StepCheck,
} from './install.js';
export { gitBlobHash, hashFileAsBlob, EMPTY_BLOB_OID } from './blob-hash.js';
export {
  parseIndex,
  statMatchesEntry,
  readHead,
  WorktreeHasher,
  UnsupportedIndexError,
  type IndexEntry,
  type ParsedIndex,
  type KnownHash,
  type HashResult,
} from './git-index.js';
export {
  serveFilterProcess,
  probeFilterProcess,
  PacketReader,
  encodePacket,
  encodeContent,
  encodeTextList,
  FilterProtocolError,
  MAX_PACKET_DATA,
  type FilterRequest,
  type FilterHandler,
  type FilterProcessOptions,
  type ProbeResult,
} from './filter-protocol.js';
export { refreshFilteredFiles } from './refresh.js';
export { readFileNamed, readFileNamedSync } from './read-file.js';
export {
  stagedChanges,
  indexEntries,
  readBlobs,
  stageContent,
  worktreeBlobId,
  attributeOf,
  unmergedPaths,
  trackedPaths,
  resolvedConflictPaths,
  operationInProgress,
  type StagedEntry,
} from './staging.js';
export {
  filterSteps,
  hookSteps,
  filterProcessCommand,
  cleanFilterCommand,
  gitHookScript,
  huskyHookLines,
  gitHooksDir,
  huskyActive,
  projectUsesHusky,
  installedHookManager,
  FILTER_NAME,
  HOOK_NAMES,
  type HookManager,
  type CliLauncher,
} from './filter-hook-steps.js';
export { OutputCache, DEFAULT_OUTPUT_CACHE_BOUNDS, type OutputCacheBounds } from './output-cache.js';
