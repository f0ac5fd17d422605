import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_PACKET_DATA,
  PacketReader,
  encodeContent,
  encodePacket,
  encodeTextList,
  serveFilterProcess,
  type FilterHandler,
} from '../src/index.js';

const FLUSH = Buffer.from('0000');

/** What git sends for one request: headers, flush, content packets, flush. */
function request(headers: string[], content: Buffer): Buffer[] {
  return [...encodeTextList(headers), ...encodeContent(content)];
}

/** Run the server on a scripted git conversation; returns the packets it answered, parsed. */
async function converse(
  gitSays: Buffer[],
  handlers: { clean?: FilterHandler; smudge?: FilterHandler },
  errors: unknown[] = [],
) {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  const served = serveFilterProcess({ input, output, ...handlers, onHandlerError: (_r, e) => errors.push(e) });
  // Deliver in awkward slices so packets straddle chunks.
  const all = Buffer.concat(gitSays);
  for (let at = 0; at < all.length; at += 7) input.write(all.subarray(at, at + 7));
  input.end();
  await served;
  const reader = new PacketReader(Object.assign(new PassThrough(), {}).end(Buffer.concat(chunks)));
  const packets: (string | 'flush')[] = [];
  for (let p = await reader.read(); p !== 'eof'; p = await reader.read())
    packets.push(p === 'flush' ? 'flush' : p.toString('utf8'));
  return packets;
}

const HANDSHAKE = [
  ...encodeTextList(['git-filter-client', 'version=2']),
  ...encodeTextList(['capability=clean', 'capability=smudge', 'capability=delay']),
];
const SERVER_HELLO = [
  'git-filter-server\n',
  'version=2\n',
  'flush',
  'capability=clean\n',
  'capability=smudge\n',
  'flush',
];
/** The answers after the handshake (which ends with the second flush). */
const afterHandshake = (packets: string[]) => packets.slice(packets.indexOf('flush', packets.indexOf('flush') + 1) + 1);

describe('pkt-line', () => {
  it('encodes the length including the header, in lowercase hex', () => {
    expect(encodePacket('a\n').toString()).toBe('0006a\n');
    expect(encodePacket(Buffer.alloc(0xfa)).subarray(0, 4).toString()).toBe('00fe');
  });
  it('splits content into packets of at most 65516 bytes and never sends an empty packet', () => {
    const packets = encodeContent(Buffer.alloc(MAX_PACKET_DATA * 2 + 1));
    expect(packets.map((p) => p.length)).toEqual([65520, 65520, 5, 4]);
    expect(encodeContent(Buffer.alloc(0))).toEqual([FLUSH]);
  });
  it('round-trips any content', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200_000 }), async (bytes) => {
        const stream = new PassThrough();
        stream.end(Buffer.concat(encodeContent(bytes)));
        expect(Buffer.compare(await new PacketReader(stream).readContent(), Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 20 },
    );
  });
});

describe('serveFilterProcess', () => {
  it('answers the handshake with version 2 and the capabilities it has, ignoring delay', async () => {
    expect(await converse(HANDSHAKE, { clean: (r) => r.content, smudge: (r) => r.content })).toEqual(SERVER_HELLO);
  });

  it('serves many files in one process, splitting values at the first "="', async () => {
    const seen: string[] = [];
    const packets = await converse(
      [
        ...HANDSHAKE,
        ...request(['command=clean', 'pathname=a=b.ipynb'], Buffer.from('one')),
        ...request(['command=smudge', 'pathname=c.ipynb', 'ref=refs/heads/main', 'blob=abc'], Buffer.from('two')),
      ],
      {
        clean: (r) => (seen.push(r.pathname), r.content.toString().toUpperCase()),
        smudge: (r) => (seen.push(`${r.pathname} ${r.headers.get('ref')}`), r.content),
      },
    );
    expect(seen).toEqual(['a=b.ipynb', 'c.ipynb refs/heads/main']);
    expect(afterHandshake(packets)).toEqual([
      'status=success\n',
      'flush',
      'ONE',
      'flush',
      'flush',
      'status=success\n',
      'flush',
      'two',
      'flush',
      'flush',
    ]);
  });

  it('answers status=error for a file whose handler throws and keeps serving', async () => {
    const errors: unknown[] = [];
    const packets = await converse(
      [
        ...HANDSHAKE,
        ...request(['command=clean', 'pathname=bad.ipynb'], Buffer.from('x')),
        ...request(['command=clean', 'pathname=good.ipynb'], Buffer.from('y')),
      ],
      {
        clean: (r) => {
          if (r.pathname === 'bad.ipynb') throw new Error('boom');
          return r.content;
        },
      },
      errors,
    );
    expect(errors).toHaveLength(1);
    expect(afterHandshake(packets)).toEqual([
      'status=error\n',
      'flush',
      'status=success\n',
      'flush',
      'y',
      'flush',
      'flush',
    ]);
  });

  it('returns empty content as a lone flush', async () => {
    const packets = await converse([...HANDSHAKE, ...request(['command=clean', 'pathname=e'], Buffer.alloc(0))], {
      clean: () => '',
    });
    expect(afterHandshake(packets)).toEqual(['status=success\n', 'flush', 'flush', 'flush']);
  });

  it('rejects a peer that does not speak version 2', async () => {
    await expect(converse([...encodeTextList(['git-filter-client', 'version=3'])], {})).rejects.toThrow(
      /only version=2/,
    );
  });
});
