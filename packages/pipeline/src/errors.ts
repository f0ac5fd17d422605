/**
 * A problem with a pipeline's definition (pipeline.yaml, env.yaml, a task's source), reported as one
 * line: `file:line: key: problem`. The CLI turns it into exit code 2.
 */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly problem: string,
    readonly file?: string,
    /** 1-based line in `file`. */
    readonly line?: number,
    /** Where in the document, e.g. `tasks[2].upstream`. */
    readonly key?: string,
  ) {
    super([file && line ? `${file}:${line}` : file, key, problem].filter(Boolean).join(': '));
  }
}

export function isPipelineError(e: unknown): e is PipelineError {
  return e instanceof PipelineError;
}
