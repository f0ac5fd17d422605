// Serialization oracle: with everything kept (outputs, counts, ids), stripping only re-reads and re-writes a
// notebook, so its bytes must equal Python nbformat's `writes(reads(text, NO_CONVERT))` — the writer nbstripout
// uses — for nbformat 3 and 4, generated with awkward content (non-ASCII, astral characters, unusual line breaks,
// floats, JSON mime types). Needs Debian's python3-nbformat (SYSTEM_PYTHON).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stripNotebookText } from '@nbpipe/strip';
import { SYSTEM_PYTHON, run } from '@nbpipe/test-support';

const ROUND_TRIP = `
import json, sys, nbformat
out = []
for text in json.load(sys.stdin):
    written = nbformat.writes(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    out.append(written if written.endswith('\\n') else written + '\\n')
json.dump(out, sys.stdout)
`;

function pythonRoundTrip(texts: string[]): string[] {
  const r = run(SYSTEM_PYTHON, ['-c', ROUND_TRIP], {
    input: JSON.stringify(texts),
    maxBuffer: 1 << 26,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  return JSON.parse(r.stdout) as string[];
}

const KEEP_ALL = {
  keepOutput: true,
  keepCount: true,
  keepId: true,
  keepMetadataKeys: ['metadata.widgets', 'cell.metadata.collapsed', 'cell.metadata.scrolled'],
};

const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'é€😀',
    'a\r\nb\rc\u2028d\u2029e\x85f\x0bg\x0c',
    '\x1c\x1d\x1e',
    '\u007f',
    'tab\tand "quotes" \\ back',
    '',
  ),
  fc.array(fc.constantFrom('x', '\n', 'é', '😀', '\r'), { maxLength: 8 }).map((parts) => parts.join('')),
);
const number = fc.oneof(fc.integer(), fc.constantFrom('1.0', '1e5', '1.50', '1e-7', '12345678901234567890', '0.1'));

/** JSON text of a notebook, with numbers given as raw tokens so that floats like 1.0 reach the parsers as written. */
function jsonWithRawNumbers(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/"\\u0000num:([^"]*)"/g, '$1');
}
const raw = (n: number | string) => (typeof n === 'number' ? n : `\u0000num:${n}`);

const v4 = fc
  .record({
    minor: fc.constantFrom(4, 5),
    cells: fc.array(
      fc.record({
        kind: fc.constantFrom('code', 'markdown', 'raw'),
        source: text,
        out: text,
        html: text,
        count: fc.nat(99),
        meta: number,
      }),
      { maxLength: 4 },
    ),
    title: text,
  })
  .map(({ minor, cells, title }) =>
    jsonWithRawNumbers({
      cells: cells.map((c, i) => ({
        cell_type: c.kind,
        ...(minor >= 5 ? { id: `cell-${i}` } : {}),
        metadata: { value: raw(c.meta), tags: ['t'] },
        source: c.source,
        ...(c.kind === 'code'
          ? {
              execution_count: c.count,
              outputs: [
                { output_type: 'stream', name: 'stdout', text: c.out },
                {
                  output_type: 'execute_result',
                  execution_count: c.count,
                  metadata: {},
                  data: {
                    'text/plain': c.out,
                    'text/html': [c.html],
                    'application/json': { a: [1, raw(c.meta)] },
                    'image/png': ['iVBOR', 'w0KG'],
                  },
                },
                { output_type: 'error', ename: 'E', evalue: c.out, traceback: [c.out] },
              ],
            }
          : {}),
      })),
      metadata: { title, kernelspec: { name: 'python3', display_name: 'Python 3' } },
      nbformat: 4,
      nbformat_minor: minor,
    }),
  );

const v3 = fc.record({ input: text, out: text, md: text, n: fc.nat(9) }).map(({ input, out, md, n }) =>
  JSON.stringify(
    {
      metadata: { name: md },
      nbformat: 3,
      nbformat_minor: 0,
      worksheets: [
        {
          cells: [
            {
              cell_type: 'code',
              collapsed: false,
              input,
              language: 'python',
              metadata: {},
              prompt_number: n,
              outputs: [
                { output_type: 'stream', stream: 'stdout', text: out },
                { output_type: 'pyout', prompt_number: n, text: out, html: out, metadata: {} },
              ],
            },
            { cell_type: 'markdown', metadata: {}, source: md },
            { cell_type: 'heading', level: 2, metadata: {}, source: md },
          ],
          metadata: {},
        },
      ],
    },
    null,
    2,
  ),
);

describe('stripping with everything kept writes exactly what Python nbformat writes', () => {
  it.each([
    ['nbformat 4', v4],
    ['nbformat 3', v3],
  ])('%s', (_name, arbitrary) => {
    const samples = fc.sample(arbitrary as fc.Arbitrary<string>, { numRuns: 60, seed: 7 });
    if (arbitrary === v4) expect(samples.some((t) => t.includes('": 1.0,') || t.includes('": 1e-7,'))).toBe(true); // floats reach the parsers
    const expected = pythonRoundTrip(samples);
    samples.forEach((sample, i) => {
      expect(stripNotebookText(sample, KEEP_ALL).text, sample).toBe(expected[i]);
      expect(stripNotebookText(Buffer.from(sample), KEEP_ALL).text, sample).toBe(expected[i]);
    });
  });
});
