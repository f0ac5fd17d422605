import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Where commands print: results to stdout, messages to stderr, colour on a TTY only. */
export class Output {
  readonly color: Colors;
  constructor(
    readonly quiet = false,
    readonly verbose = false,
    colorEnabled = useColor(process.stdout),
  ) {
    this.color = pc.createColors(colorEnabled);
  }
  /** Results: what the command was asked to produce. */
  print(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
  /** Progress and confirmations; silenced by --quiet. */
  info(text: string): void {
    if (!this.quiet) process.stderr.write(text + '\n');
  }
  debug(text: string): void {
    if (this.verbose) process.stderr.write(this.color.dim(text) + '\n');
  }
  warn(text: string): void {
    process.stderr.write(`${this.color.yellow('nbpipe: warning:')} ${text}\n`);
  }
  error(text: string): void {
    process.stderr.write(`${this.color.red('nbpipe:')} ${text}\n`);
  }
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}
