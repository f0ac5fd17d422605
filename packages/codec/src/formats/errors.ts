/** A format name that cannot be used, or a text notebook that cannot be read (with its 1-based line). */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly problem: string,
    /** 1-based line in the text, when the problem is in a text notebook. */
    readonly line?: number,
  ) {
    super(line === undefined ? problem : `line ${line}: ${problem}`);
  }
}

export function isFormatError(e: unknown): e is FormatError {
  return e instanceof FormatError;
}
