// Property: notebooks with the slips Jupyter reads (README, "Slips repaired on read") — checked by Debian's nbformat,
// many in one python process — are accepted by every reading function, and no cell, source line or output is lost.
// Those functions span nbformat, strip, codec and merge: the CLI package is the one that depends on them all.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, parseWithoutOutputs, serialize, sourceText, type Notebook } from '@nbpipe/nbformat';
import { stripNotebookText } from '@nbpipe/strip';
import { notebookToText, readMember, fileFormat } from '@nbpipe/codec';
import { diffNotebooks, isEmptyDiff, mergeNotebooks } from '@nbpipe/merge';
import { SYSTEM_PYTHON, run } from '@nbpipe/test-support';

/** For each notebook text: whether Jupyter's reader reads it (as_version=4), and whether it then validates. */
const JUPYTER_READS = `
import json, sys, logging, warnings, nbformat
logging.disable(logging.CRITICAL)
warnings.simplefilter('ignore')
out = []
for text in json.load(sys.stdin):
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:
        out.append([False, False])
        continue
    out.append([True, nbformat.validator.isvalid(nb)])
json.dump(out, sys.stdout)
`;

function jupyter(texts: string[]): [reads: boolean, valid: boolean][] {
  const r = run(SYSTEM_PYTHON, ['-c', JUPYTER_READS], { input: JSON.stringify(texts), maxBuffer: 1 << 26 });
  return JSON.parse(r.stdout) as [boolean, boolean][];
}

const line = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('é😀', 'a\r\nb', ''));
const count = fc.oneof(
  fc.nat(99),
  fc.constant(null),
  fc.nat(99).map(String),
  fc.constantFrom('', 'x', '-1', '3.0', ' 5'),
);
const idSlip = fc.constantFrom('ok', 'missing', 'duplicate');

const slipped = fc
  .record({
    minor: fc.constantFrom(4, 5),
    cells: fc.array(
      fc.record({
        kind: fc.constantFrom('code', 'markdown', 'raw'),
        source: fc.array(line, { maxLength: 4 }),
        id: idSlip,
        count,
        resultCount: fc.oneof(count, fc.constant('absent')),
        stream: fc.option(line, { nil: undefined }),
      }),
      { maxLength: 6 },
    ),
  })
  .map(({ minor, cells }) => {
    const cellsJson = cells.map((c, i) => {
      const id = minor < 5 || c.id === 'missing' ? {} : { id: c.id === 'duplicate' && i > 0 ? 'cell-0' : `cell-${i}` };
      const outputs = [
        {
          output_type: 'execute_result',
          data: { 'text/plain': c.source },
          metadata: {},
          ...(c.resultCount === 'absent' ? {} : { execution_count: c.resultCount }),
        },
        ...(c.stream === undefined ? [] : [{ output_type: 'stream', name: 'stdout', text: [c.stream] }]),
      ];
      return c.kind === 'code'
        ? { cell_type: 'code', ...id, execution_count: c.count, metadata: {}, outputs, source: c.source }
        : { cell_type: c.kind, ...id, metadata: {}, source: c.source };
    });
    return (
      JSON.stringify(
        {
          cells: cellsJson,
          metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
          nbformat: 4,
          nbformat_minor: minor,
        },
        null,
        1,
      ) + '\n'
    );
  });

/** What must survive any read: each cell's type and source, and each code cell's outputs. */
function content(nb: Notebook, withOutputs = true) {
  return nb.cells.map((c) => [
    c.cell_type,
    sourceText(c),
    withOutputs && c.cell_type === 'code' ? c.outputs.map((o) => o.output_type) : [],
  ]);
}

function expected(text: string, withOutputs = true) {
  const json = JSON.parse(text) as {
    cells: { cell_type: string; source: string[]; outputs?: { output_type: string }[] }[];
  };
  return json.cells.map((c) => [
    c.cell_type,
    c.source.join(''),
    withOutputs && c.outputs ? c.outputs.map((o) => o.output_type) : [],
  ]);
}

describe('every reader accepts the slips Jupyter reads and loses nothing', () => {
  it('parse, parseWithoutOutputs, strip, the codec, diff and merge; the repaired form is valid for Jupyter', () => {
    const samples = fc.sample(slipped, { numRuns: 150, seed: 45 });
    // The generator does make every slip.
    for (const slip of ['"execution_count": "', '"cell-0"', 'nbformat_minor": 5'])
      expect(samples.some((s) => s.includes(slip))).toBe(true);
    const verdicts = jupyter(samples);
    const readable = samples.filter((_, k) => verdicts[k]![0]);
    expect(readable.length).toBe(samples.length);
    const repaired: string[] = [];
    for (const text of readable) {
      const nb = parse(text, { path: 'nb.ipynb' });
      expect(content(nb), text).toEqual(expected(text));
      expect(content(parseWithoutOutputs(Buffer.from(text)), false), text).toEqual(expected(text, false));

      for (const input of [text, Buffer.from(text)]) {
        const kept = stripNotebookText(input, { keepOutput: true, keepCount: true, keepId: true }, 'nb.ipynb').text;
        expect(content(parse(kept)), text).toEqual(expected(text));
        const stripped = stripNotebookText(input, {}, 'nb.ipynb').text;
        expect(content(parse(stripped), false), text).toEqual(expected(text, false));
      }

      const script = notebookToText(nb, 'py:percent');
      for (const c of nb.cells)
        for (const l of c.source.split('\n'))
          if (c.cell_type === 'code' && l.trim() && !l.includes('\r')) expect(script).toContain(l);
      expect(content(readMember('nb.ipynb', fileFormat('nb.ipynb'), text)), text).toEqual(expected(text));

      expect(isEmptyDiff(diffNotebooks(nb, parse(text)))).toBe(true);
      expect(content(mergeNotebooks(nb, nb, nb).notebook), text).toEqual(expected(text));
      repaired.push(serialize(nb));
    }
    // What `nbpipe fmt` writes is valid for Jupyter's validator, but for results without a count, kept as Jupyter keeps them.
    const keepsSlip = (text: string) =>
      parse(text).cells.some(
        (c) =>
          c.cell_type === 'code' &&
          c.outputs.some((o) => o.output_type === 'execute_result' && !('execution_count' in o)),
      );
    expect(jupyter(repaired).map(([, valid]) => valid)).toEqual(repaired.map((text) => !keepsSlip(text)));
  });
});
