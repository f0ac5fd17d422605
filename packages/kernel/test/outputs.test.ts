import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@nbpipe/nbformat';
import { messageTimestamp, OutputRecorder, overwriteLines, type KernelMessage, type OutputArea } from '@nbpipe/kernel';

let counter = 0;
function msg(msgType: string, content: JsonObject, date = '2024-05-06T07:08:09.123456Z'): KernelMessage {
  return {
    header: { msg_id: `m${++counter}`, session: 's', username: 'u', date, msg_type: msgType, version: '5.3' },
    parent_header: { msg_id: 'request' },
    metadata: {},
    content,
    buffers: [],
    identities: [],
  };
}
const area = (): OutputArea => ({ outputs: [], execution_count: null, metadata: {} });
const stream = (text: string, name = 'stdout') => msg('stream', { name, text });
const display = (text: string, displayId?: string, type = 'display_data') =>
  msg(type, { data: { 'text/plain': text }, metadata: {}, ...(displayId && { transient: { display_id: displayId } }) });

describe('OutputRecorder (nbclient semantics)', () => {
  it('merges consecutive chunks of the same stream, not across names or other outputs', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    for (const m of [stream('a\n'), stream('b\n'), stream('e\n', 'stderr'), stream('c\n'), display('x'), stream('d\n')])
      r.handle(a, m);
    expect(a.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
      { output_type: 'stream', name: 'stderr', text: 'e\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\n' },
      { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} },
      { output_type: 'stream', name: 'stdout', text: 'd\n' },
    ]);
  });

  it('applies carriage-return overwrites, also across chunks, but keeps \\r\\n', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    for (const m of [stream('10%'), stream('\r50%'), stream('\r100%\n'), stream('win\r\n')]) r.handle(a, m);
    expect(a.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '100%\nwin\r\n' }]);
    expect(overwriteLines('a\rb\nc\rd\r')).toBe('b\nd\r');
  });

  it('keeps the execution count of execute_result and sets the area count from any message', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    r.handle(a, msg('execute_input', { code: '1', execution_count: 7 }));
    expect(a.execution_count).toBe(7);
    r.handle(a, msg('execute_result', { execution_count: 7, data: { 'text/plain': '1' }, metadata: {} }));
    expect(a.outputs).toEqual([
      { output_type: 'execute_result', execution_count: 7, data: { 'text/plain': '1' }, metadata: {} },
    ]);
  });

  it('records errors with their traceback and drops transient data', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    r.handle(a, msg('error', { ename: 'E', evalue: 'v', traceback: ['l1', 'l2'] }));
    r.handle(a, display('x', 'id1'));
    expect(a.outputs[0]).toEqual({ output_type: 'error', ename: 'E', evalue: 'v', traceback: ['l1', 'l2'] });
    expect(a.outputs[1]).not.toHaveProperty('transient');
  });

  it('update_display_data replaces every output with that display id, in earlier areas too', () => {
    const r = new OutputRecorder();
    const first = area();
    const second = area();
    r.begin(first);
    r.handle(first, display('v1', 'd'));
    r.handle(first, display('other', 'e'));
    r.begin(second);
    r.handle(
      second,
      msg('update_display_data', { data: { 'text/plain': 'v2' }, metadata: { m: 1 }, transient: { display_id: 'd' } }),
    );
    expect(second.outputs).toEqual([]);
    expect(first.outputs[0]).toEqual({ output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { m: 1 } });
    // a new display with the same id updates the old ones and is itself added
    r.handle(second, display('v3', 'd'));
    expect(first.outputs.map((o) => (o as { data: JsonObject }).data['text/plain'])).toEqual(['v3', 'other']);
    expect(second.outputs).toHaveLength(1);
    // an unknown display id changes nothing
    r.handle(
      second,
      msg('update_display_data', { data: { 'text/plain': 'z' }, metadata: {}, transient: { display_id: 'nope' } }),
    );
    expect(second.outputs).toHaveLength(1);
  });

  it('clear_output clears now, or with wait just before the next output', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    r.handle(a, stream('0\n'));
    r.handle(a, msg('clear_output', { wait: true }));
    expect(a.outputs).toHaveLength(1);
    r.handle(a, msg('update_display_data', { data: {}, metadata: {}, transient: { display_id: 'x' } }));
    expect(a.outputs).toHaveLength(1);
    r.handle(a, stream('1\n'));
    expect(a.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '1\n' }]);
    r.handle(a, msg('clear_output', { wait: false }));
    expect(a.outputs).toEqual([]);
  });

  it('a cleared output no longer receives display updates', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    r.handle(a, display('v1', 'd'));
    r.handle(a, msg('clear_output', { wait: false }));
    r.handle(a, stream('after\n'));
    r.handle(
      a,
      msg('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'd' } }),
    );
    expect(a.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'after\n' }]);
  });

  it('ignores status, comm and unknown messages as outputs', () => {
    const r = new OutputRecorder();
    const a = area();
    r.begin(a);
    for (const type of ['status', 'comm_open', 'comm_msg', 'shutdown_reply', 'debug_event'])
      r.handle(a, msg(type, { execution_state: 'busy', data: {} }));
    expect(a.outputs).toEqual([]);
  });

  it("records nbclient's execution timestamps when asked, from the kernel's clock", () => {
    const r = new OutputRecorder({ recordTiming: true });
    const a = area();
    a.metadata.execution = { stale: 'x' };
    r.begin(a);
    expect(a.metadata.execution).toEqual({});
    r.handle(a, msg('status', { execution_state: 'busy' }, '2024-05-06T07:08:09.1Z'));
    r.handle(a, msg('execute_input', { code: '', execution_count: 1 }, '2024-05-06T07:08:09.123456789+00:00'));
    r.handle(a, msg('status', { execution_state: 'idle' }, '2024-05-06T07:08:10Z'));
    expect(a.metadata.execution).toEqual({
      'iopub.status.busy': '2024-05-06T07:08:09.100000Z',
      'iopub.execute_input': '2024-05-06T07:08:09.123456Z',
      'iopub.status.idle': '2024-05-06T07:08:10.000000Z',
    });
    const without = area();
    new OutputRecorder().begin(without);
    expect(without.metadata).toEqual({});
    expect(messageTimestamp('garbage')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('never loses stream text: merged text is the chunks joined (without carriage returns)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('stdout', 'stderr'), fc.string({ unit: fc.constantFrom('a', 'b', '\n', ' ') })),
        ),
        (chunks) => {
          const r = new OutputRecorder();
          const a = area();
          r.begin(a);
          for (const [name, text] of chunks) r.handle(a, stream(text, name));
          for (const name of ['stdout', 'stderr']) {
            const recorded = a.outputs
              .filter((o) => o.output_type === 'stream' && o.name === name)
              .map((o) => (o as { text: string }).text);
            expect(recorded.join('')).toBe(
              chunks
                .filter(([n]) => n === name)
                .map(([, t]) => t)
                .join(''),
            );
          }
          for (let i = 1; i < a.outputs.length; i++)
            expect((a.outputs[i] as { name: string }).name).not.toBe((a.outputs[i - 1] as { name: string }).name);
        },
      ),
    );
  });

  it('caps a stream output: the first and last halves with a note saying how much was dropped between them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\n', ' '), maxLength: 60 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (chunks, maxStreamChars) => {
          const r = new OutputRecorder({ maxStreamChars });
          const a = area();
          r.begin(a);
          for (const text of chunks) r.handle(a, stream(text));
          r.handle(a, stream('!', 'stderr'));
          const full = chunks.join('');
          const text = full ? (a.outputs[0] as { text: string }).text : '';
          if (full.length <= maxStreamChars) expect(text).toBe(full);
          else {
            const head = Math.ceil(maxStreamChars / 2);
            const tail = maxStreamChars - head;
            const note = `\n[nbpipe: ${(full.length - maxStreamChars).toLocaleString('en-US')} characters of stdout dropped here; outputs keep at most ${maxStreamChars.toLocaleString('en-US')} characters, the first and last halves]\n`;
            expect(text).toBe(full.slice(0, head) + note + full.slice(full.length - tail));
          }
          expect(a.outputs[a.outputs.length - 1]).toEqual({ output_type: 'stream', name: 'stderr', text: '!' });
        },
      ),
    );
  });

  it('records a stream of many small chunks in linear time', () => {
    const r = new OutputRecorder({ maxStreamChars: 1_000_000 });
    const a = area();
    r.begin(a);
    const line = `${'x'.repeat(99)}\n`;
    const started = performance.now();
    // 50 MB in 500,000 writes: joining the text at every chunk took minutes
    for (let i = 0; i < 500_000; i++) r.handle(a, stream(line));
    const text = (a.outputs[0] as { text: string }).text;
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(text).toContain('49,000,000 characters of stdout dropped here');
    expect(text.length).toBeLessThan(1_000_200);
  });
});
