import type { SourceKind } from '../sources.js';
import type { TaskSpec } from '../spec.js';

/** Ploomber's notebook engines: papermill runs a kernel, ploomber-engine runs in one python process like our embedded executor. */
export const EXECUTOR_ALIASES: ReadonlyMap<string, string> = new Map([
  ['papermill', 'auto'],
  ['ploomber-engine', 'python'],
]);
const DEFAULTS: ReadonlyMap<SourceKind, string> = new Map<SourceKind, string>([
  ['shell', 'shell'],
  ['notebook', 'auto'],
  ['callable', 'callable'],
]);

/** The executor name a task runs with: its own `executor:`, else for a notebook the run's default (`pipeline.executor`), else the built-in one. */
export function executorName(spec: TaskSpec, notebookExecutor?: string): string {
  if (spec.executor) return EXECUTOR_ALIASES.get(spec.executor) ?? spec.executor;
  return (spec.kind === 'notebook' && notebookExecutor) || DEFAULTS.get(spec.kind)!;
}
