// nbstripout 0.9.1 conformance: every golden case of its end-to-end suite, byte for byte, plus the
// library-level cases (keep_output tags, output types). Reads the nbstripout corpus (README "Test").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotebookError } from '@nbpipe/nbformat';
import { StripError, createStripper, stripNotebookText, type StripOptions } from '@nbpipe/strip';
import { CORPORA } from '@nbpipe/test-support';

const DIR = join(CORPORA, 'nbstripout');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

// input, expected file, the options its nbstripout test passes, on top of nbstripout's defaults.
const CASES: [string, string, StripOptions][] = [
  ['test_drop_empty_cells.ipynb', 'test_drop_empty_cells_dontdrop.ipynb.expected', {}],
  ['test_drop_empty_cells.ipynb', 'test_drop_empty_cells.ipynb.expected', { dropEmptyCells: true }],
  ['test_drop_tagged_cells.ipynb', 'test_drop_tagged_cells_dontdrop.ipynb.expected', {}],
  ['test_drop_tagged_cells.ipynb', 'test_drop_tagged_cells.ipynb.expected', { dropTaggedCells: ['test'] }],
  ['test_execution_timing.ipynb', 'test_execution_timing.ipynb.expected', {}],
  ['test_max_size.ipynb', 'test_max_size.ipynb.expected', { maxSize: 50, keepId: true }],
  ['test_max_size.ipynb', 'test_max_size.ipynb.expected_sequential_id', { maxSize: 50 }],
  ['test_empty_metadata.ipynb', 'test_empty_metadata.ipynb.expected', {}],
  ['test_metadata.ipynb', 'test_metadata.ipynb.expected', {}],
  [
    'test_metadata.ipynb',
    'test_metadata_extra_keys.ipynb.expected',
    { extraKeys: ['metadata.kernelspec', 'metadata.language_info'] },
  ],
  ['test_metadata.ipynb', 'test_metadata_keep_count.ipynb.expected', { keepCount: true }],
  ['test_metadata.ipynb', 'test_metadata_keep_output.ipynb.expected', { keepOutput: true }],
  ['test_metadata.ipynb', 'test_metadata_keep_output_keep_count.ipynb.expected', { keepOutput: true, keepCount: true }],
  ['test_metadata_notebook.ipynb', 'test_metadata_notebook.ipynb.expected', {}],
  [
    'test_keep_metadata_keys.ipynb',
    'test_keep_metadata_keys.ipynb.expected',
    { keepMetadataKeys: ['cell.metadata.scrolled', 'cell.metadata.collapsed', 'metadata.a'] },
  ],
  [
    'test_metadata_period.ipynb',
    'test_metadata_period.ipynb.expected',
    {
      extraKeys: [
        'cell.metadata.application/vnd.databricks.v1+cell',
        'metadata.application/vnd.databricks.v1+notebook',
      ],
    },
  ],
  ['test_strip_init_cells.ipynb', 'test_strip_init_cells.ipynb.expected', { stripInitCells: true }],
  ['test_nbformat2.ipynb', 'test_nbformat2.ipynb.expected', {}],
  ['test_nbformat45.ipynb', 'test_nbformat45.ipynb.expected', { keepId: true }],
  ['test_nbformat45.ipynb', 'test_nbformat45.ipynb.expected_sequential_id', {}],
  ['test_missing_nbformat.ipynb', 'test_missing_nbformat.ipynb.expected', {}],
  ['test_unicode.ipynb', 'test_unicode.ipynb.expected', {}],
  ['test_widgets.ipynb', 'test_widgets.ipynb.expected', {}],
  // Zeppelin mode is chosen from the extension (nbstripout needs --mode zeppelin).
  ['test_zeppelin.zpln', 'test_zeppelin.zpln.expected', {}],
];

/** nbstripout renumbers cell ids unless --keep-id; nbpipe keeps them unless told otherwise (README: "Cell identity"). */
const nbstripout = (options: StripOptions): StripOptions => ({ keepId: false, ...options });

describe('nbstripout golden cases', () => {
  it.each(CASES)('%s → %s %j', (input, expectedFile, options) => {
    const text = read(input);
    const expected = read(expectedFile);
    // As text, and as bytes (where outputs that are dropped are never parsed).
    for (const given of [text, readFileSync(join(DIR, input))]) {
      const result = stripNotebookText(given, nbstripout(options), input);
      expect(result.text).toBe(expected);
      // nbstripout --verify: a change is reported exactly when the golden text differs from the input.
      expect(result.changed).toBe(text !== expected);
    }
  });

  it.each(CASES)('stripping %s → %s again is a fixed point', (input, expectedFile, options) => {
    const expected = read(expectedFile);
    const again = stripNotebookText(expected, nbstripout(options), input);
    expect(again.text).toBe(expected);
    expect(again.changed).toBe(false);
  });

  it('test_nochange.ipynb: no change, no execution_count added', () => {
    const text = read('test_nochange.ipynb');
    const result = stripNotebookText(text, nbstripout({}), 'test_nochange.ipynb');
    expect(result.changed).toBe(false);
    expect(result.text).toBe(text);
  });

  it('test_invalid_json.ipynb (trailing comma) is a NotebookError with line and column', () => {
    let error: unknown;
    try {
      stripNotebookText(read('test_invalid_json.ipynb'), {}, 'test_invalid_json.ipynb');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotebookError);
    expect((error as NotebookError).code).toBe('JSON');
    expect((error as NotebookError).message).toMatch(/^test_invalid_json\.ipynb: invalid JSON at line \d+, column \d+/);
  });

  it.each(['test_metadata_exception.ipynb', 'test_keep_output_tags_exception.ipynb'])(
    '%s: keep_output false contradicting the tag is refused',
    (name) => {
      expect(() => stripNotebookText(read(name), {}, name)).toThrow(StripError);
      expect(() => stripNotebookText(read(name), {}, name)).toThrow(
        'cell metadata contradicts tags: `keep_output` is false, but `keep_output` in tags',
      );
    },
  );

  it('invalid extra keys are reported once, as nbstripout does', () => {
    const stripper = createStripper({ extraKeys: ['invalid', 'foo.invalid'] });
    expect(stripper.warnings).toEqual([
      expect.stringContaining('invalid extra key `invalid`'),
      expect.stringContaining('invalid extra key `foo.invalid`'),
    ]);
  });
});

describe('deliberate differences from nbstripout 0.9.1 (its bugs are not copied)', () => {
  it('--drop-tagged-cells "test test2" drops cells with ANY listed tag (0.9.1 keeps only the last tag, dropping just the test2 cells)', () => {
    const text = read('test_drop_tagged_cells.ipynb');
    const nb = JSON.parse(stripNotebookText(text, { dropTaggedCells: ['test', 'test2'] }).text) as {
      cells: { metadata: { tags?: string[] } }[];
    };
    const tagged = nb.cells.filter((c) => c.metadata.tags?.some((t) => t === 'test' || t === 'test2'));
    expect(tagged).toEqual([]);
    expect(nb.cells.length).toBeGreaterThan(0);
    // With one tag the bytes are nbstripout's (golden case above).
  });

  it('--drop-empty-cells keeps nbformat 2/3 code cells with input (0.9.1 drops every one: it reads `source`, which they lack)', () => {
    const result = JSON.parse(stripNotebookText(read('test_nbformat2.ipynb'), { dropEmptyCells: true }).text) as {
      worksheets: { cells: unknown[] }[];
    };
    expect(result.worksheets[0]!.cells).toHaveLength(3);
  });

  it('nbformat 4.5 cells without ids get deterministic ids when ids are kept (nbformat picks random ones)', () => {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: 'markdown', metadata: {}, source: 'x' }],
    };
    const a = stripNotebookText(JSON.stringify(nb), {});
    const b = stripNotebookText(JSON.stringify(nb), {});
    expect(a.text).toBe(b.text);
    expect(JSON.parse(a.text).cells[0].id).toMatch(/^[0-9a-f]{8}$/);
  });
});

interface Cell {
  cell_type: string;
  source: string[];
  outputs?: { output_type: string; name?: string }[];
}
const cellsOf = (text: string) => (JSON.parse(text) as { cells: Cell[] }).cells;

describe('keep_output tags and metadata (nbstripout tests/test_keep_output_tags.py)', () => {
  it('cells whose source starts "# output" keep their outputs, the others lose them', () => {
    const cells = cellsOf(stripNotebookText(read('test_keep_output_tags.ipynb')).text).filter(
      (c) => c.cell_type === 'code',
    );
    expect(cells).toHaveLength(3);
    for (const cell of cells) {
      if (cell.source[0]!.startsWith('# output')) expect(cell.outputs!.length).toBeGreaterThan(0);
      else expect(cell.outputs).toEqual([]);
    }
  });
});

describe('output types (nbstripout tests/test_output_types.py)', () => {
  const strip = (options: StripOptions) => cellsOf(stripNotebookText(read('test_output_types.ipynb'), options).text);
  const kinds = (cell: Cell) => cell.outputs!.map((o) => (o.name ? `${o.output_type}:${o.name}` : o.output_type));

  it('--keep-output --drop-output-type error keeps the streams and the result', () => {
    const cells = strip({ keepOutput: true, dropOutputTypes: ['error'] });
    expect(cells[0]!.outputs).toBeUndefined();
    expect(kinds(cells[1]!)).toEqual(['stream:stdout', 'stream:stderr']);
    expect(kinds(cells[2]!)).toEqual(['execute_result']);
  });

  it('--keep-output --keep-output-type execute_result keeps only results', () => {
    const cells = strip({ keepOutput: true, keepOutputTypes: ['execute_result'] });
    expect(cells[1]!.outputs).toEqual([]);
    expect(kinds(cells[2]!)).toEqual(['execute_result']);
  });

  it('--keep-output-type stream:stdout execute_result without --keep-output keeps just those', () => {
    const cells = strip({ keepOutputTypes: ['stream:stdout', 'execute_result'] });
    expect(kinds(cells[1]!)).toEqual(['stream:stdout']);
    expect(kinds(cells[2]!)).toEqual(['execute_result']);
    expect(kinds(cells[3]!)).toEqual(['stream:stdout']);
  });
});
