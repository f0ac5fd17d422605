export { PipelineError, isPipelineError } from './errors.js';
export { PlaceholderContext, castOverride, BUILTIN_PLACEHOLDERS, type Value, type EnvOptions } from './env.js';
// spec.js loads the YAML parser: only its types are exported here; loadPipeline parses (and caches) specs.
export type { PipelineSpec, TaskSpec, ProductSpec, SpecTexts } from './spec.js';
export { sourceKindOf, readNotebookSource, notebookInputsHash, parametersCellIndex, analyzeSource, type SourceKind, type SourceAnalysis } from './sources.js';
export { StateStore, acquireLock, ensureStateDir, PipelineLockedError, STATE_DIR, type StateData, type TaskRecord, type FingerprintParts } from './state.js';
export { ProjectFiles } from './files.js';
export { loadPipeline, findPipelineFile, productPaths, type LoadOptions, type Pipeline, type Task } from './project.js';
export { projectName, repositoryNameOfUrl } from './project-name.js';
export { evaluatePipeline, evaluateTask, fingerprintOf, fingerprintParts, type TaskStatus } from './status.js';
export { canonicalJson, SPEC_VERSION } from './hashing.js';
export { runPipeline, planRun, resolveProduct, upstreamMapping, type RunOptions, type RunEvent, type RunSummary, type PlannedTask } from './runner.js';
export { setMaxOutputChars } from './executors/process.js';
export { registerExecutor, setDefaultExecutor, executorName, loadExecutor, registerNotebookFormat, notebookWriter, notebookProduct, TaskFailure, type Executor, type TaskJob, type ResolvedProduct, type NotebookWriter } from './executors/registry.js';
export { changedTasks, describeChangedSet, type ChangedSet } from './changed.js';
export { createProgress, formatDuration, type Progress, type ProgressStyle } from './progress.js';
export { dagToMermaid, dagToDot, dagToHtml, type PlotTask } from './report/plot.js';
export { argoWorkflow, dnsLabel, DEFAULT_ARGO_COMMAND, type ArgoOptions, type ArgoResources, type ExportTask } from './export/argo.js';
export { renderNotebookHtml, type HtmlReportOptions } from './report/html.js';
