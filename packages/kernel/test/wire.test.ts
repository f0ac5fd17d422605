import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonFloat, serialize, type JsonObject, type MimeBundle } from '@nbpipe/nbformat';
import { Session } from '@nbpipe/kernel';

const key = 'secret-key';

/** Frames as a Python kernel would send them (json.dumps spacing, its own signature). */
function kernelFrames(signKey: string, parts: [object, object, object, string], identities: Buffer[] = []): Buffer[] {
  const jsonParts = [...parts.slice(0, 3).map((p) => JSON.stringify(p)), parts[3]].map((p) => Buffer.from(p as string));
  const hmac = createHmac('sha256', signKey);
  for (const p of jsonParts) hmac.update(p);
  return [...identities, Buffer.from('<IDS|MSG>'), Buffer.from(hmac.digest('hex')), ...jsonParts];
}

describe('Session wire format', () => {
  it('encodes the delimiter, an HMAC-SHA256 of the four dicts, then the dicts', () => {
    const session = new Session(key);
    const msg = session.message('execute_request', { code: '1+1' });
    const frames = session.encode(msg);
    expect(frames[0]!.toString()).toBe('<IDS|MSG>');
    const hmac = createHmac('sha256', key);
    for (const f of frames.slice(2, 6)) hmac.update(f);
    expect(frames[1]!.toString()).toBe(hmac.digest('hex'));
    expect(JSON.parse(frames[2]!.toString())).toMatchObject({
      msg_type: 'execute_request',
      version: '5.3',
      session: session.id,
    });
    expect(JSON.parse(frames[5]!.toString())).toEqual({ code: '1+1' });
  });

  it('decodes kernel messages after routing identities and keeps binary buffers', () => {
    const session = new Session(key);
    const frames = kernelFrames(
      key,
      [{ msg_id: 'm', msg_type: 'stream' }, { msg_id: 'p' }, {}, '{"name": "stdout", "text": "hi"}'],
      [Buffer.from('id1')],
    );
    frames.push(Buffer.from([0, 1, 2]));
    const msg = session.decode(frames)!;
    expect(msg.header.msg_type).toBe('stream');
    expect(msg.parent_header.msg_id).toBe('p');
    expect(msg.content).toEqual({ name: 'stdout', text: 'hi' });
    expect(msg.identities.map(String)).toEqual(['id1']);
    expect(msg.buffers).toEqual([Buffer.from([0, 1, 2])]);
  });

  it('drops messages with a wrong signature or a wrong key', () => {
    const session = new Session(key);
    const good = kernelFrames(key, [{ msg_type: 'status' }, {}, {}, '{"execution_state": "idle"}']);
    expect(session.decode(good)).toBeDefined();
    expect(session.decode(kernelFrames('other', [{ msg_type: 'status' }, {}, {}, '{}']))).toBeUndefined();
    const tampered = [...good];
    tampered[5] = Buffer.from('{"execution_state": "busy"}');
    expect(session.decode(tampered)).toBeUndefined();
    expect(session.decode([Buffer.from('no delimiter')])).toBeUndefined();
  });

  it('does not sign with an empty key (signing disabled by the connection file)', () => {
    const session = new Session('');
    const frames = session.encode(session.message('kernel_info_request', {}));
    expect(frames[1]!.length).toBe(0);
    expect(session.decode(frames)?.header.msg_type).toBe('kernel_info_request');
  });

  it("keeps Python's float spelling in content so outputs serialize as Jupyter writes them", () => {
    const session = new Session(key);
    const msg = session.decode(
      kernelFrames(key, [
        { msg_type: 'execute_result' },
        {},
        {},
        '{"data": {"application/json": {"x": 1.0, "y": 1e-05}}}',
      ]),
    )!;
    const json = (msg.content.data as JsonObject)['application/json'] as JsonObject;
    expect(json.x).toBeInstanceOf(JsonFloat);
    const nb = {
      nbformat: 4 as const,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          cell_type: 'code' as const,
          id: 'a',
          source: '',
          metadata: {},
          execution_count: 1,
          outputs: [
            {
              output_type: 'execute_result' as const,
              execution_count: 1,
              data: msg.content.data as MimeBundle,
              metadata: {},
            },
          ],
        },
      ],
    };
    expect(serialize(nb)).toContain('"x": 1.0');
    expect(serialize(nb)).toContain('"y": 1e-05');
  });

  it('round-trips any JSON content between two sessions sharing a key', () => {
    const sender = new Session(key);
    const receiver = new Session(key);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (content, msgType) => {
        const msg = sender.message(msgType, content as JsonObject);
        const back = receiver.decode(sender.encode(msg))!;
        expect(back.header).toEqual(msg.header);
        expect(JSON.parse(JSON.stringify(back.content))).toEqual(JSON.parse(JSON.stringify(content)));
      }),
    );
  });
});
