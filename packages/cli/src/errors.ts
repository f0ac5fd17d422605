import { isNotebookError } from '@nbpipe/nbformat';

/** An error the CLI reports as one line, `nbpipe: <message>`, exiting with `exitCode` (2: usage or bad input). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

/** Node's errno errors as one readable line naming the file. */
export function describeError(e: unknown): { message: string; exitCode: number } {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (isNotebookError(e)) return { message: e.message, exitCode: 2 };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string' && err.path) {
    const what: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'not a directory',
      EPERM: 'operation not permitted',
      EROFS: 'read-only file system',
      ENOSPC: 'no space left on device',
    };
    return { message: `${err.path}: ${what[err.code] ?? err.message}`, exitCode: 2 };
  }
  return { message: err instanceof Error ? err.message : String(e), exitCode: 2 };
}
