export { PipelineError, isPipelineError } from './errors.js';
export { PlaceholderContext, castOverride, BUILTIN_PLACEHOLDERS, type Value, type EnvOptions } from './env.js';
// spec.js loads the YAML parser: only its types are exported here; loadPipeline parses (and caches) specs.
export type { PipelineSpec, TaskSpec, ProductSpec, SpecTexts } from './spec.js';
export {
  sourceKindOf,
  readNotebookSource,
  notebookInputsHash,
  parametersCellIndex,
  analyzeSource,
  type SourceKind,
  type SourceAnalysis,
} from './sources.js';
export {
  StateStore,
  acquireLock,
  ensureStateDir,
  PipelineLockedError,
  STATE_DIR,
  type StateData,
  type TaskRecord,
  type FingerprintParts,
} from './state.js';
export { ProjectFiles } from './files.js';
export {
  loadPipeline,
  findPipelineFile,
  productPaths,
  resolveProduct,
  upstreamMapping,
  type LoadOptions,
  type Pipeline,
  type Task,
} from './project.js';
export { projectName, repositoryNameOfUrl } from './project-name.js';
export { evaluatePipeline, evaluateTask, fingerprintOf, fingerprintParts, type TaskStatus } from './status.js';
export { canonicalJson, SPEC_VERSION } from './hashing.js';
export { runPipeline, planRun, type RunOptions, type RunEvent, type RunSummary, type PlannedTask } from './runner.js';
export { loadExecutor } from './executors/registry.js';
export { executorName } from './executors/executor-name.js';
export { TaskFailure, type Executor, type TaskJob, type ResolvedProduct } from './executors/job.js';
export { notebookWriter, notebookProduct, type NotebookWriter } from './executors/notebook-writers.js';
export { changedTasks, describeChangedSet, type ChangedSet } from './changed.js';
export { createProgress, formatDuration, type Progress, type ProgressStyle } from './progress.js';
export { dagToMermaid, dagToDot, dagToHtml, type PlotTask } from './report/plot.js';
export {
  argoWorkflow,
  dnsLabel,
  DEFAULT_ARGO_COMMAND,
  type ArgoOptions,
  type ArgoResources,
  type ExportTask,
} from './export/argo.js';
export {
  slurmSettingsProblem,
  toSlurmSettings,
  resourceOptions,
  SLURM_KEYS,
  type SlurmSettings,
} from './slurm/settings.js';
export { slurmJobs, dependencyOption, SLURM_DIR, type SlurmJob, type SlurmJobOptions } from './slurm/jobs.js';
export {
  submitToSlurm,
  followSlurmJobs,
  activeSlurmJobs,
  type SubmittedJob,
  type SlurmSubmission,
} from './slurm/run.js';
export type { JobState } from './slurm/scheduler.js';
export { slurmSubmitScript } from './export/slurm.js';
export { runPipelineHook, runEndOfRunHook } from './hooks.js';
export { readTaskNotebooks, injectOrRemoveParameters, type TaskNotebook, type EditReport } from './inject.js';
export { convertTaskNotebooks } from './convert-sources.js';
