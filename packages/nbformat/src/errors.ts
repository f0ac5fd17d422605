export type NotebookErrorCode =
  'EMPTY' | 'BINARY' | 'ENCODING' | 'JSON' | 'NOT_A_NOTEBOOK' | 'UNSUPPORTED_VERSION' | 'INVALID';

/** The one error `parse` throws: a code, the file, and where the problem is. */
export class NotebookError extends Error {
  override readonly name = 'NotebookError';
  constructor(
    readonly code: NotebookErrorCode,
    readonly problem: string,
    readonly path?: string,
    /** 1-based line and column, for JSON syntax errors. */
    readonly line?: number,
    readonly column?: number,
    /** JSON path of the first structural problem, e.g. `cells[3].outputs[0]`. */
    readonly jsonPath?: string,
  ) {
    super(`${path ?? '<notebook>'}: ${problem}`);
  }
}

export function isNotebookError(e: unknown): e is NotebookError {
  return e instanceof NotebookError;
}
