import type { RunEvent } from './runner.js';

export interface ProgressStyle {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export interface Progress {
  onEvent(event: RunEvent): void;
  /** Clear the live lines (before printing a summary). */
  stop(): void;
}

/** `1.2s`, `850ms`, `3m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of a run on `stream`. On a terminal, finished tasks scroll up as log lines while one live
 * line per running task shows its elapsed time; elsewhere (CI logs, pipes) plain lines only.
 */
export function createProgress(
  stream: NodeJS.WriteStream,
  style: ProgressStyle,
  tty = Boolean(stream.isTTY),
): Progress {
  const running = new Map<string, number>();
  let drawn = 0;
  let frame = 0;
  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (!tty) return;
    clear();
    const width = Math.max(20, (stream.columns || 80) - 1);
    const now = Date.now();
    const spin = SPINNER[frame++ % SPINNER.length]!;
    const lines = [...running].map(([name, at]) => {
      const text = `${spin} ${name} ${formatDuration(now - at)}`;
      return text.length > width ? text.slice(0, width - 1) + '…' : text;
    });
    if (lines.length) stream.write(lines.map((l) => style.dim(l)).join('\n') + '\n');
    drawn = lines.length;
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  timer?.unref();
  const log = (line: string) => {
    if (tty) clear();
    stream.write(line + '\n');
    draw();
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case 'start':
          running.set(event.name, event.at);
          if (tty) draw();
          else stream.write(`start ${event.name}\n`);
          break;
        case 'finish':
          running.delete(event.name);
          log(`${style.green('✓')} ${event.name} ${style.dim(formatDuration(event.durationMs))}`);
          break;
        case 'fail':
          running.delete(event.name);
          log(`${style.red('✗')} ${event.name} ${style.dim(formatDuration(event.durationMs))}: ${event.message}`);
          break;
        case 'skip':
          running.delete(event.name);
          log(`${style.yellow('-')} ${event.name} ${style.dim(`(${event.why})`)}`);
          break;
        case 'notice':
          log(`${style.yellow('note:')} ${event.message}`);
          break;
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      if (tty) clear();
    },
  };
}
