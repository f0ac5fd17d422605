import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseJson, type JsonObject } from '@nbpipe/nbformat';

/** Messaging protocol version we speak (fields we rely on exist since 5.0; 5.3 adds control-channel interrupts). */
export const PROTOCOL_VERSION = '5.3';

const DELIMITER = '<IDS|MSG>';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [key: string]: unknown;
}

/** A Jupyter message. `content` keeps Python's number spelling (`1.0`) so outputs round-trip exactly. */
export interface KernelMessage<C extends JsonObject = JsonObject> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: JsonObject;
  content: C;
  buffers: Buffer[];
  /** ZeroMQ routing identities that preceded the delimiter. */
  identities: Buffer[];
}

/**
 * One client session: builds, signs and verifies messages (HMAC-SHA256 over the four JSON frames).
 * An empty key disables signing, as the protocol allows.
 */
export class Session {
  readonly id = randomUUID();
  private readonly username = safeUsername();

  constructor(private readonly key: string) {}

  message<C extends JsonObject>(msgType: string, content: C, parent: Partial<MessageHeader> = {}): KernelMessage<C> {
    return {
      header: {
        msg_id: randomUUID(),
        session: this.id,
        username: this.username,
        date: new Date().toISOString(),
        msg_type: msgType,
        version: PROTOCOL_VERSION,
      },
      parent_header: parent,
      metadata: {},
      content,
      buffers: [],
      identities: [],
    };
  }

  /** Multipart frames for `message`: identities, delimiter, signature, header, parent, metadata, content, buffers. */
  encode(message: KernelMessage): Buffer[] {
    const parts = [message.header, message.parent_header, message.metadata, message.content].map((p) =>
      Buffer.from(JSON.stringify(p)),
    );
    return [...message.identities, Buffer.from(DELIMITER), Buffer.from(this.sign(parts)), ...parts, ...message.buffers];
  }

  /** Parse frames from the kernel; undefined for malformed or badly signed messages (dropped, as jupyter_client does). */
  decode(frames: Buffer[]): KernelMessage | undefined {
    const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString('latin1') === DELIMITER);
    if (at < 0 || frames.length < at + 6) return undefined;
    const parts = frames.slice(at + 2, at + 6);
    if (this.key !== '') {
      const expected = Buffer.from(this.sign(parts));
      const got = frames[at + 1]!;
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined;
    }
    try {
      const [header, parent, metadata] = parts.slice(0, 3).map((p) => JSON.parse(p.toString('utf8')));
      const content = parseJson(parts[3]!.toString('utf8'));
      if (!isObject(header) || typeof header.msg_type !== 'string' || !isObject(content)) return undefined;
      return {
        header: header as unknown as MessageHeader,
        parent_header: isObject(parent) ? parent : {},
        metadata: isObject(metadata) ? metadata : {},
        content: content as JsonObject,
        buffers: frames.slice(at + 6),
        identities: frames.slice(0, at),
      };
    } catch {
      return undefined;
    }
  }

  private sign(parts: Buffer[]): string {
    if (this.key === '') return '';
    const hmac = createHmac('sha256', this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest('hex');
  }
}

function isObject(v: unknown): v is Record<string, never> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'nbpipe';
  }
}
