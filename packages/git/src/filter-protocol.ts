/**
 * git's long-running filter process protocol (gitattributes `filter.<driver>.process`, protocol version 2) over
 * pkt-line framing: one process serves every file of a `git add`, `status`, `checkout` or `stash`, instead of one
 * process per file. See Documentation/technical/long-running-process-protocol in git.
 */
import type { Readable, Writable } from 'node:stream';

/** Largest pkt-line payload: 65520 bytes per packet minus the 4-byte length header. */
export const MAX_PACKET_DATA = 65516;
const FLUSH = Buffer.from('0000');

/** A violation of the protocol by the other side (bad length header, truncated stream, wrong welcome). */
export class FilterProtocolError extends Error {
  override readonly name = 'FilterProtocolError';
}

/** One pkt-line: 4 lowercase hex digits of the total length, then the payload (never empty: that is a flush). */
export function encodePacket(payload: Uint8Array | string): Buffer {
  const data =
    typeof payload === 'string'
      ? Buffer.from(payload, 'utf8')
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (data.length === 0 || data.length > MAX_PACKET_DATA)
    throw new RangeError(`pkt-line payload of ${data.length} bytes`);
  const header = Buffer.from((data.length + 4).toString(16).padStart(4, '0'), 'ascii');
  return Buffer.concat([header, data]);
}

/** Content as data packets of at most MAX_PACKET_DATA bytes, followed by a flush (empty content is just the flush). */
export function encodeContent(content: Uint8Array): Buffer[] {
  const packets: Buffer[] = [];
  for (let at = 0; at < content.length; at += MAX_PACKET_DATA)
    packets.push(encodePacket(content.subarray(at, at + MAX_PACKET_DATA)));
  packets.push(FLUSH);
  return packets;
}

/** A list of text packets ("key=value\n" lines) followed by a flush. */
export function encodeTextList(lines: readonly string[]): Buffer[] {
  return [...lines.map((line) => encodePacket(`${line}\n`)), FLUSH];
}

type Packet = Buffer | 'flush' | 'eof';

/** Reads pkt-lines from a stream, buffering only what has arrived but not been consumed. */
export class PacketReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (e: Error) => {
      this.failure = e;
      this.notify();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The next packet's payload, 'flush', or 'eof' when the stream ended cleanly between packets. */
  async read(): Promise<Packet> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.buffer.length >= 4) {
        const header = this.buffer.toString('ascii', 0, 4);
        if (!/^[0-9a-fA-F]{4}$/.test(header))
          throw new FilterProtocolError(`bad pkt-line length ${JSON.stringify(header)}`);
        const length = parseInt(header, 16);
        if (length === 0) {
          this.buffer = this.buffer.subarray(4);
          return 'flush';
        }
        if (length < 4) throw new FilterProtocolError(`unexpected pkt-line ${header}`);
        if (this.buffer.length >= length) {
          const payload = this.buffer.subarray(4, length);
          this.buffer = this.buffer.subarray(length);
          return payload;
        }
      }
      if (this.ended) {
        if (this.buffer.length > 0) throw new FilterProtocolError('stream ended inside a pkt-line');
        return 'eof';
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Text packets up to the next flush, each without its trailing newline; undefined on a clean end of stream. */
  async readTextList(): Promise<string[] | undefined> {
    const lines: string[] = [];
    for (;;) {
      const packet = await this.read();
      if (packet === 'flush') return lines;
      if (packet === 'eof') {
        if (lines.length === 0) return undefined;
        throw new FilterProtocolError('stream ended inside a list of packets');
      }
      const text = packet.toString('utf8');
      lines.push(text.endsWith('\n') ? text.slice(0, -1) : text);
    }
  }

  /** Binary data packets up to the next flush, concatenated. */
  async readContent(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const packet = await this.read();
      if (packet === 'flush') return Buffer.concat(parts);
      if (packet === 'eof') throw new FilterProtocolError('stream ended inside file content');
      parts.push(packet);
    }
  }
}

/** One file git asks the filter about. */
export interface FilterRequest {
  command: 'clean' | 'smudge';
  /** Path relative to the repository root. */
  pathname: string;
  /** Every key git sent (`ref`, `treeish`, `blob`, …), split at the first `=`. */
  headers: Map<string, string>;
  content: Buffer;
}

/** Returns the filtered content; throwing reports `status=error` for that file only (git then follows `required`). */
export type FilterHandler = (request: FilterRequest) => Uint8Array | string | Promise<Uint8Array | string>;

export interface FilterProcessOptions {
  input: Readable;
  output: Writable;
  clean?: FilterHandler;
  smudge?: FilterHandler;
  /** Called when a handler throws (the file gets `status=error`; the process keeps serving). */
  onHandlerError?: (request: FilterRequest, error: unknown) => void;
}

function write(output: Writable, packets: readonly Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(Buffer.concat(packets), (e) => (e ? reject(e) : resolve()));
  });
}

function parseHeaders(lines: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    // A value may itself contain '='; the key never does.
    if (eq > 0) headers.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return headers;
}

/**
 * Serve git until it closes our input: the version-2 handshake, then one response per request. Resolves when git
 * is done; rejects with FilterProtocolError when git speaks something else (git then reports the filter as failed).
 */
export async function serveFilterProcess(options: FilterProcessOptions): Promise<void> {
  const { input, output } = options;
  const reader = new PacketReader(input);
  const welcome = await reader.readTextList();
  if (welcome === undefined) return;
  if (welcome[0] !== 'git-filter-client')
    throw new FilterProtocolError(`expected git-filter-client, got ${JSON.stringify(welcome[0] ?? '')}`);
  if (!welcome.includes('version=2'))
    throw new FilterProtocolError(
      `git offers ${welcome.slice(1).join(', ') || 'no version'}; only version=2 is supported`,
    );
  await write(output, encodeTextList(['git-filter-server', 'version=2']));

  const offered = new Set((await reader.readTextList()) ?? []);
  const handlers = new Map<string, FilterHandler>();
  if (options.clean && offered.has('capability=clean')) handlers.set('clean', options.clean);
  if (options.smudge && offered.has('capability=smudge')) handlers.set('smudge', options.smudge);
  await write(output, encodeTextList([...handlers.keys()].map((name) => `capability=${name}`)));

  for (;;) {
    const lines = await reader.readTextList();
    if (lines === undefined) return;
    const headers = parseHeaders(lines);
    // git sends the content even for a command we cannot serve; it must be read before answering.
    const content = await reader.readContent();
    const command = headers.get('command') ?? '';
    const handler = handlers.get(command);
    if (!handler) {
      await write(output, encodeTextList(['status=error']));
      continue;
    }
    const request: FilterRequest = {
      command: command as FilterRequest['command'],
      pathname: headers.get('pathname') ?? '',
      headers,
      content,
    };
    let result: Uint8Array;
    try {
      const filtered = await handler(request);
      result = typeof filtered === 'string' ? Buffer.from(filtered, 'utf8') : filtered;
    } catch (e) {
      options.onHandlerError?.(request, e);
      await write(output, encodeTextList(['status=error']));
      continue;
    }
    // status, content, and an empty second status list (status stays "success").
    await write(output, [...encodeTextList(['status=success']), ...encodeContent(result), FLUSH]);
  }
}

/** What a filter process answered to one request, as git would see it. */
export interface ProbeResult {
  capabilities: string[];
  status: string;
  content: Buffer;
}

/**
 * Play git's side once: handshake, then one `clean` request for `pathname`. Lets `nbpipe doctor` (and tests) check
 * that the configured process filter starts and answers, without staging anything.
 */
export async function probeFilterProcess(
  input: Readable,
  output: Writable,
  pathname: string,
  content: Uint8Array,
): Promise<ProbeResult> {
  const reader = new PacketReader(input);
  await write(output, [
    ...encodeTextList(['git-filter-client', 'version=2']),
    ...encodeTextList(['capability=clean', 'capability=smudge']),
  ]);
  const hello = await reader.readTextList();
  if (hello?.[0] !== 'git-filter-server' || !hello.includes('version=2'))
    throw new FilterProtocolError('the filter did not answer the handshake');
  const capabilities = ((await reader.readTextList()) ?? []).map((line) => line.replace(/^capability=/, ''));
  await write(output, [...encodeTextList(['command=clean', `pathname=${pathname}`]), ...encodeContent(content)]);
  const status =
    (await reader.readTextList())?.find((line) => line.startsWith('status='))?.slice('status='.length) ?? '';
  let filtered: Buffer = Buffer.alloc(0);
  if (status === 'success') {
    filtered = await reader.readContent();
    await reader.readTextList(); // the final status list
  }
  output.end();
  return { capabilities, status, content: filtered };
}
