export { KernelError, isKernelError, type KernelErrorCode } from './errors.js';
export {
  jupyterDataDirs,
  listKernelSpecs,
  findKernelSpec,
  chooseKernelSpec,
  kernelInterpreter,
  type JupyterKernelSpec,
  type KernelSpecSearch,
  type KernelChoice,
} from './kernelspec.js';
export { Session, PROTOCOL_VERSION, type KernelMessage, type MessageHeader } from './wire.js';
export { spawnProcessGroup } from './process-group.js';
export {
  KernelProcess,
  readFileTail,
  signalGroup,
  type ConnectionInfo,
  type LaunchOptions,
  type ExitStatus,
  type RunningKernel,
  type KernelLauncher,
} from './launch.js';
export {
  OutputRecorder,
  outputFromMessage,
  overwriteLines,
  messageTimestamp,
  type OutputArea,
  type TimingKey,
} from './outputs.js';
export { KernelClient, type KernelStartOptions, type ExecuteOptions, type ExecuteResult } from './client.js';
export {
  parametersCell,
  injectParameters,
  removeInjectedParameters,
  findTaggedCell,
  hasTag,
  PARAMETERS_TAG,
  INJECTED_PARAMETERS_TAG,
  type ParameterLanguage,
  type InjectOptions,
  type Injection,
} from './parameters.js';
export {
  executeNotebook,
  runNotebook,
  markExecutionError,
  removeExecutionErrorMarks,
  SKIP_EXECUTION_TAG,
  RAISES_EXCEPTION_TAG,
  ERROR_MARK_TAG,
  type ExecuteNotebookOptions,
  type RunNotebookOptions,
  type NotebookRun,
  type CellFailure,
  type CellEvent,
} from './notebook.js';
export { KernelFactory, type KernelFactoryOptions, type PythonRun, type ForkedProcess } from './warm.js';
