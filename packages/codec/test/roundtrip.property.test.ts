import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  codeCell,
  markdownCell,
  parse,
  rawCell,
  serialize,
  type Cell,
  type JsonObject,
  type Notebook,
} from '@nbpipe/nbformat';
import { filterCellMetadata, notebookToText, textToNotebook } from '../src/formats/index.js';
import { JUPYTEXT_CELL_METADATA } from '../src/formats/cellMetadata.js';

// Round trips over generated notebooks, for percent, light and markdown, in Python, R and Julia:
//   ipynb → text → ipynb keeps every cell's type and source, and the metadata the format keeps (a source's
//   final newline only where the text cannot tell it: see below);
//   text → ipynb → text gives the same text.

const KERNELS = {
  python: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
  R: { kernelspec: { display_name: 'R', language: 'R', name: 'ir' } },
  julia: { kernelspec: { display_name: 'Julia 1.10', language: 'julia', name: 'julia-1.10' } },
} as const;
type Language = keyof typeof KERNELS;

const FORMATS: [Language, string][] = [
  ['python', 'py:percent'],
  ['python', 'py:light'],
  ['python', 'md'],
  ['R', 'R:percent'],
  ['R', 'R:light'],
  ['R', 'md'],
  ['julia', 'jl:percent'],
  ['julia', 'jl:light'],
  ['julia', 'md'],
];

/** Lines that exercise comments, magics, strings, indentation, blank lines and markers' look-alikes. */
const CODE_LINES: Record<Language, string[]> = {
  python: [
    'x = 1',
    'print("hello")',
    'def f(x):',
    '    return x + 1',
    'class A:',
    '    pass',
    '@decorator',
    'async def g():',
    '# a comment',
    '#',
    '',
    '    ',
    'y = 2  ',
    '%matplotlib inline',
    '!ls -l',
    'x = !ls',
    'help?',
    '?help',
    'ls',
    'cd ..',
    'rm = 3',
    '  %time f()',
    '# %time',
    '# ls the dir',
    's = """\n%notmagic\n# %% in a string\n"""',
    "t = '''a'''",
    '# +',
    '# -',
    '# # +',
    'z = 1 \\',
    '    + 2',
    'é = "ü"',
    '# -*- not coding -*-',
    ')',
    'if x:',
    '        deep()',
  ],
  R: [
    'x <- 1',
    'print("a")',
    'f <- function(x) {',
    '  x + 1',
    '}',
    '# comment',
    '#',
    '',
    '  ',
    "s <- 'it''s'",
    '%time',
    'library(ggplot2)',
    '# +',
    'é <- 2',
  ],
  julia: [
    'x = 1',
    'function f(x)',
    '    x + 1',
    'end',
    '# comment',
    '#',
    '',
    '   ',
    'println("π")',
    '%time',
    '# +',
    '"""\ndoc\n"""',
    'using Plots',
  ],
};

const MARKDOWN_LINES = [
  '# Title',
  '## Section',
  'Some *text*.',
  '',
  '- item',
  '1. one',
  '> quote',
  '<b>bold</b>',
  'text with é and ü',
  '    indented code',
  '```python',
  '```',
  '%matplotlib inline',
  '# %time is a heading',
  '!important',
  'help?',
  'a = 1',
  '$x^2$',
  '\\alpha',
  '---',
  '"""',
  'trailing space ',
  '#',
  '# # +',
  '-',
  '* star',
];

const RAW_LINES = ['raw text', '', '---', 'title: x', '<div>', '%%bash', '# not a comment', 'a = 1', '\\LaTeX'];

/**
 * Cell sources from a pool of lines. `blankEnd`: whether a source may end with an empty or blank line
 * (a final newline). Light and markdown keep jupytext's blank-line grammar, in which the empty lines
 * between cells are separators: a source's final newline, or an empty source, does not survive them
 * (nor does it in jupytext). Percent, the default format, keeps both.
 */
const source = (pool: string[], blankEnd: boolean) =>
  fc
    .tuple(fc.array(fc.constantFrom(...pool), { maxLength: 6 }), fc.boolean())
    .map(([lines, newline]) => lines.join('\n') + (newline && lines.length ? '\n' : ''))
    .filter((s) => blankEnd || !/(^|\n)[^\S\n]*$/.test(s));

const metadataValue = fc.oneof(
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom('a', 'x y', 'é', ''),
  fc.boolean(),
  fc.constant(null),
);
const cellMetadata: fc.Arbitrary<JsonObject> = fc.record(
  {
    tags: fc.array(fc.constantFrom('parameters', 'hide-input', 'a b'), { maxLength: 2 }),
    custom: metadataValue,
    slideshow: fc.constantFrom({ slide_type: 'slide' }, { slide_type: '' }),
    collapsed: fc.boolean(),
    ExecuteTime: fc.constant({ end_time: '2024-01-01T00:00:00Z' }),
  },
  { requiredKeys: [] },
);

function cellArbitrary(language: Language, blankEnd: boolean): fc.Arbitrary<Cell> {
  const languageMagic =
    language === 'python'
      ? ['%%bash\nls -l', '%%R -i df\nplot(df)', '%%html\n<b>x</b>', '%%time\nx = 1']
      : ['%%bash\nls'];
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(source(CODE_LINES[language], blankEnd), cellMetadata)
        .map(([s, metadata]) => codeCell(s, { metadata })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...languageMagic).map((s) => codeCell(s)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(source(MARKDOWN_LINES, blankEnd), cellMetadata)
        .map(([s, metadata]) => markdownCell(s, { metadata })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(source(RAW_LINES, blankEnd), cellMetadata).map(([s, metadata]) => rawCell(s, { metadata })),
    },
  );
}

function notebookArbitrary(language: Language, blankEnd: boolean): fc.Arbitrary<Notebook> {
  // Through Jupyter's serialization, as every real notebook: metadata keys come sorted.
  return fc
    .array(cellArbitrary(language, blankEnd), { maxLength: 8 })
    .map((cells) =>
      parse(serialize({ nbformat: 4, nbformat_minor: 4, metadata: { ...KERNELS[language] } as JsonObject, cells })),
    );
}

/** The metadata a text format keeps: the default cell filter, without jupytext's layout keys. */
function keptMetadata(metadata: JsonObject): JsonObject {
  const kept = filterCellMetadata(metadata, undefined);
  for (const key of JUPYTEXT_CELL_METADATA) delete kept[key];
  return kept;
}

const RUNS = { numRuns: 300 };

describe.each(FORMATS)('%s notebooks as %s', (language, format) => {
  const blankEnd = format.endsWith(':percent');
  it('ipynb → text → ipynb keeps cell types, sources and kept metadata', () => {
    fc.assert(
      fc.property(notebookArbitrary(language, blankEnd), (nb) => {
        const text = notebookToText(nb, format);
        const back = textToNotebook(text, format);
        expect(back.cells.map((c) => c.cell_type)).toEqual(nb.cells.map((c) => c.cell_type));
        // A final newline counts towards the blank lines PEP 8 wants before a definition (jupytext's
        // spacing), so `x\n` and `x` before a `def` give the same text and read back as `x`. A source may
        // come back without its final newline only when it gives the same text without it.
        const sources = nb.cells.map((c, i) =>
          c.source === back.cells[i]!.source + '\n' ? back.cells[i]!.source : c.source,
        );
        expect(back.cells.map((c) => c.source)).toEqual(sources);
        expect(notebookToText({ ...nb, cells: nb.cells.map((c, i) => ({ ...c, source: sources[i]! })) }, format)).toBe(
          text,
        );
        expect(back.cells.map((c) => keptMetadata(c.metadata))).toEqual(nb.cells.map((c) => keptMetadata(c.metadata)));
      }),
      RUNS,
    );
  });

  it('text → ipynb → text is the identity', () => {
    fc.assert(
      fc.property(notebookArbitrary(language, blankEnd), (nb) => {
        const text = notebookToText(nb, format);
        const stored = parse(serialize(textToNotebook(text, format)));
        expect(notebookToText(stored, format)).toBe(text);
      }),
      RUNS,
    );
  });
});
