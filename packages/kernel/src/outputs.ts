import type { JsonObject, JsonValue, MimeBundle, Output } from '@nbpipe/nbformat';
import type { KernelMessage } from './wire.js';

/** Where one execution's results go: a code cell, or any object shaped like one. */
export interface OutputArea {
  outputs: Output[];
  execution_count: number | null;
  metadata: JsonObject;
}

/** Keys nbclient writes under `metadata.execution` when it records timing (its default). */
export type TimingKey = 'iopub.status.busy' | 'iopub.execute_input' | 'shell.execute_reply' | 'iopub.status.idle';

const DISPLAY_TYPES = new Set(['execute_result', 'display_data', 'update_display_data']);
/** `\r` not followed by a newline overwrites its line: keep only what follows, as Jupyter's stream coalescing does. */
const OVERWRITTEN_LINE = /[^\n]*\r(?=[^\n])/g;
/** Characters of one stream output kept by default (README "`nbpipe run`"): enough for any log a person reads. */
export const DEFAULT_MAX_STREAM_CHARS = 10_000_000;
/** A line longer than this is kept without waiting for its end, so one huge line cannot grow without bound. */
const OPEN_LINE_LIMIT = 1 << 20;

/**
 * Turns IOPub messages into nbformat outputs the way nbclient records them, with stream
 * coalescing as Jupyter front ends and nbconvert do it:
 * - consecutive `stream` chunks of the same name become one output (`\r` overwrites applied);
 * - `display_data`/`execute_result`/`error` are appended (`transient` dropped);
 * - a `display_id` seen on `display_data`, `execute_result` or `update_display_data` replaces the
 *   data and metadata of every earlier output registered under it, in any area;
 * - `clear_output` empties the area now, or with `wait` just before the next output;
 * - any `execution_count` in a message's content becomes the area's count.
 * One recorder spans a whole notebook so display ids can reach earlier cells.
 */
export class OutputRecorder {
  private readonly displays = new Map<string, Map<OutputArea, number[]>>();
  private readonly clearBeforeNextOutput = new Set<OutputArea>();
  private readonly maxStreamChars: number;

  /**
   * `maxStreamChars` caps each stream output: past it, the first and last halves are kept with a note in between
   * saying how much was dropped (default DEFAULT_MAX_STREAM_CHARS).
   */
  constructor(private readonly options: { recordTiming?: boolean; maxStreamChars?: number } = {}) {
    this.maxStreamChars = options.maxStreamChars ?? DEFAULT_MAX_STREAM_CHARS;
  }

  /** Start a new execution in `area`: its outputs are replaced and, when timing is recorded, its timings reset. */
  begin(area: OutputArea): void {
    area.outputs = [];
    this.clearBeforeNextOutput.delete(area);
    this.forgetDisplays(area);
    if (this.options.recordTiming) area.metadata.execution = {};
  }

  /**
   * Apply one IOPub message addressed to `area`'s execution; returns the output it added, if any. A stream
   * message returns a stream output of just its own text, whether it started an output or grew the last one.
   */
  handle(area: OutputArea, msg: KernelMessage): Output | undefined {
    const type = msg.header.msg_type;
    const content = msg.content;
    const transient = content.transient;
    const displayId =
      isObject(transient) && typeof transient.display_id === 'string' ? transient.display_id : undefined;
    if (displayId && DISPLAY_TYPES.has(type)) this.updateDisplay(displayId, content);
    if ('execution_count' in content) area.execution_count = (content.execution_count as number | null) ?? null;

    if (type === 'status') {
      const state = content.execution_state;
      if (state === 'busy' || state === 'idle') this.timestamp(area, `iopub.status.${state}`, msg);
      return undefined;
    }
    if (type === 'execute_input') {
      this.timestamp(area, 'iopub.execute_input', msg);
      return undefined;
    }
    if (type === 'clear_output') {
      if (content.wait) this.clearBeforeNextOutput.add(area);
      else this.clear(area);
      return undefined;
    }
    const output = outputFromMessage(type, content);
    if (!output) return undefined; // update_display_data, comm_*, unknown types: nothing to record in the cell

    if (this.clearBeforeNextOutput.delete(area)) this.clear(area);
    if (displayId) {
      const areas = this.displays.get(displayId) ?? new Map<OutputArea, number[]>();
      this.displays.set(displayId, areas);
      areas.set(area, [...(areas.get(area) ?? []), area.outputs.length]);
    }
    if (output.output_type === 'stream') {
      const last = area.outputs[area.outputs.length - 1];
      const growing = last?.output_type === 'stream' && last.name === output.name ? STREAM_TEXTS.get(last) : undefined;
      if (growing) growing.append(output.text);
      else area.outputs.push(streamOutput(output.name, output.text, this.maxStreamChars));
      return output;
    }
    area.outputs.push(output);
    return output;
  }

  /** Record `msg`'s time under `metadata.execution[key]` (when timing is recorded). */
  timestamp(area: OutputArea, key: TimingKey, msg: KernelMessage): void {
    if (!this.options.recordTiming) return;
    const execution = isObject(area.metadata.execution) ? area.metadata.execution : (area.metadata.execution = {});
    execution[key] = messageTimestamp(msg.header.date);
  }

  private clear(area: OutputArea): void {
    area.outputs = [];
    this.forgetDisplays(area);
  }

  private forgetDisplays(area: OutputArea): void {
    for (const areas of this.displays.values()) areas.delete(area);
  }

  private updateDisplay(displayId: string, content: JsonObject): void {
    const areas = this.displays.get(displayId);
    if (!areas) return;
    for (const [area, indices] of areas) {
      for (const index of indices) {
        const output = area.outputs[index];
        if (output?.output_type !== 'display_data' && output?.output_type !== 'execute_result') continue;
        output.data = bundle(content.data);
        output.metadata = bundle(content.metadata) as JsonObject;
      }
    }
  }
}

const STREAM_TEXTS = new WeakMap<Output, StreamText>();

/**
 * A stream output whose `text` is built from its chunks: joined once when read, not at every chunk (a cell printing
 * hundreds of megabytes in small writes made that quadratic), and capped at `maxChars`.
 */
function streamOutput(name: string, first: string, maxChars: number): Output {
  const text = new StreamText(name, maxChars);
  text.append(first);
  const output = { output_type: 'stream', name } as Output & { text: string };
  Object.defineProperty(output, 'text', {
    enumerable: true,
    configurable: true,
    get: () => text.value,
    set: (value: string) => text.replace(value),
  });
  STREAM_TEXTS.set(output, text);
  return output;
}

/**
 * The text of one stream output, kept in linear time and bounded: past `maxChars` characters, the first and last
 * halves with a note between them saying how much was dropped, as Jupyter's output limits do.
 */
class StreamText {
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private dropped = 0;
  /** The line being written: a later `\r` may still overwrite it. */
  private openLine = '';
  private joined: string | undefined;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(
    private readonly name: string,
    private readonly maxChars: number,
  ) {
    this.headMax = Math.ceil(maxChars / 2);
    this.tailMax = maxChars - this.headMax;
  }

  append(chunk: string): void {
    this.joined = undefined;
    const end = chunk.lastIndexOf('\n') + 1;
    if (end === 0) {
      this.openLine += chunk;
      if (this.openLine.length > Math.min(OPEN_LINE_LIMIT, this.maxChars)) {
        this.keep(overwriteLines(this.openLine));
        this.openLine = '';
      }
      return;
    }
    this.keep(overwriteLines(this.openLine + chunk.slice(0, end)));
    this.openLine = chunk.slice(end);
  }

  replace(text: string): void {
    this.head = '';
    this.tail = [];
    this.tailLength = this.dropped = 0;
    this.openLine = '';
    this.append(text);
  }

  get value(): string {
    if (this.joined === undefined) {
      // the line being written counts towards the cap as if it were kept
      let head = this.head;
      let rest = overwriteLines(this.openLine);
      const room = this.headMax - head.length;
      if (room > 0) {
        head += rest.slice(0, room);
        rest = rest.slice(room);
      }
      let tail = this.tail.join('') + rest;
      let dropped = this.dropped;
      if (tail.length > this.tailMax) {
        dropped += tail.length - this.tailMax;
        tail = tail.slice(tail.length - this.tailMax);
      }
      const note = dropped
        ? `\n[nbpipe: ${dropped.toLocaleString('en-US')} characters of ${this.name} dropped here; outputs keep at most ${this.maxChars.toLocaleString('en-US')} characters, the first and last halves]\n`
        : '';
      this.joined = head + note + tail;
    }
    return this.joined;
  }

  private keep(text: string): void {
    const room = this.headMax - this.head.length;
    if (room > 0) {
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (!text) return;
    this.tail.push(text);
    this.tailLength += text.length;
    // trimmed when twice the size it keeps: each character is copied a bounded number of times
    if (this.tailLength > 2 * this.tailMax) this.trimTail();
  }

  private trimTail(): void {
    const all = this.tail.join('');
    const kept = all.slice(all.length - this.tailMax);
    this.dropped += all.length - kept.length;
    this.tail = kept ? [kept] : [];
    this.tailLength = kept.length;
  }
}

/** nbformat's `output_from_msg`: the output a message records, or undefined for non-output messages. */
export function outputFromMessage(type: string, content: JsonObject): Output | undefined {
  switch (type) {
    case 'stream':
      return { output_type: 'stream', name: str(content.name, 'stdout'), text: str(content.text, '') };
    case 'display_data':
      return {
        output_type: 'display_data',
        data: bundle(content.data),
        metadata: bundle(content.metadata) as JsonObject,
      };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: typeof content.execution_count === 'number' ? content.execution_count : null,
        data: bundle(content.data),
        metadata: bundle(content.metadata) as JsonObject,
      };
    case 'error':
      return {
        output_type: 'error',
        ename: str(content.ename, 'NotImplementedError'),
        evalue: str(content.evalue, ''),
        traceback: Array.isArray(content.traceback) ? content.traceback.map((line) => String(line)) : [],
      };
    default:
      return undefined;
  }
}

/** Apply carriage-return overwrites within each line (`"10%\r20%"` → `"20%"`); `\r\n` is a line end. */
export function overwriteLines(text: string): string {
  return text.includes('\r') ? text.replace(OVERWRITTEN_LINE, '') : text;
}

/**
 * nbclient's timestamp format, `%Y-%m-%dT%H:%M:%S.%fZ`, from the message's ISO date
 * (the kernel's clock, as nbclient uses); now, in UTC, if the date is unusable.
 */
export function messageTimestamp(date: unknown): string {
  const m = typeof date === 'string' ? /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?/.exec(date) : null;
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function bundle(value: JsonValue | undefined): MimeBundle {
  return isObject(value) ? (value as MimeBundle) : {};
}

function str(value: JsonValue | undefined, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
