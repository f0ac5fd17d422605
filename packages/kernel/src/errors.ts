export type KernelErrorCode =
  /** No kernelspec matches the requested name or language. */
  | 'NO_KERNELSPEC'
  /** A kernel.json exists but cannot be used (bad JSON, missing argv…). */
  | 'BAD_KERNELSPEC'
  /** The kernel process could not be started or never answered kernel_info. */
  | 'START_FAILED'
  /** The kernel process exited or stopped answering heartbeats. */
  | 'DIED'
  /** A request (execute, kernel_info…) got no reply in time. */
  | 'TIMEOUT'
  /** An execution ended without the IOPub messages that complete its outputs: some were lost. */
  | 'OUTPUT_LOST'
  /** The client was shut down or the caller aborted. */
  | 'CLOSED'
  /** Parameters that cannot be written in the kernel's language. */
  | 'PARAMETERS';

/** Every failure of this package: a code for callers and a one-line message for users. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    /** Last lines the kernel wrote on stderr, when the process is involved. */
    readonly stderr?: string,
  ) {
    super(message);
  }
}

export function isKernelError(e: unknown): e is KernelError {
  return e instanceof KernelError;
}
