import { describe, expect, it } from 'vitest';
import {
  codeCell,
  emptyNotebook,
  markdownCell,
  rawCell,
  type Cell,
  type JsonObject,
  type Notebook,
} from '@nbpipe/nbformat';
import {
  FormatError,
  formatToString,
  notebookToText,
  parseFormat,
  resolveFormat,
  textToNotebook,
} from '../src/formats/index.js';
import { pyyamlDump } from '../src/formats/yaml.js';
import { metadataToText, textToMetadata } from '../src/formats/cellMetadata.js';
import { commentMagics, uncommentMagics } from '../src/formats/magics.js';
import { pep8LinesBetweenCells } from '../src/formats/pep8.js';

// Behaviours of jupytext's formats (README, `nbpipe pair`), checked on small examples (the corpus covers the rest).

const PY = { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } };
const noHeader = { jupytext: { notebook_metadata_filter: '-all', cell_metadata_filter: '-all' } };

function nb(cells: Cell[], metadata: JsonObject = noHeader): Notebook {
  return { ...emptyNotebook(metadata), cells };
}

const write = (n: Notebook, format: string, formatOptions?: Record<string, unknown>) =>
  notebookToText(n, format, { textRepresentation: false, formatOptions });
const cellsOf = (n: Notebook) => n.cells.map((c) => ({ type: c.cell_type, source: c.source, metadata: c.metadata }));

describe('parseFormat', () => {
  it('parses extensions, format names, suffixes and prefixes', () => {
    expect(parseFormat('py')).toEqual({ extension: '.py' });
    expect(parseFormat('py:percent')).toEqual({ extension: '.py', formatName: 'percent' });
    expect(parseFormat('.py')).toEqual({ extension: '.py' });
    expect(parseFormat('R:percent')).toEqual({ extension: '.R', formatName: 'percent' });
    expect(parseFormat('auto:light')).toEqual({ extension: 'auto', formatName: 'light' });
    expect(parseFormat('md')).toEqual({ extension: '.md' });
    expect(parseFormat('markdown')).toEqual({ extension: '.md' });
    expect(parseFormat('ipynb')).toEqual({ extension: '.ipynb' });
    expect(parseFormat('notebook')).toEqual({ extension: '.ipynb' });
    expect(parseFormat('.pct.py:percent')).toEqual({ extension: '.py', suffix: '.pct', formatName: 'percent' });
    expect(parseFormat('scripts//py:percent')).toEqual({ extension: '.py', prefix: 'scripts/', formatName: 'percent' });
    expect(parseFormat('py:bare')).toEqual({ extension: '.py', formatName: 'nomarker' });
  });

  it('renders the short form back', () => {
    for (const f of ['py:percent', 'scripts//py:light', '.pct.py:percent', 'md', 'ipynb', 'R:percent'])
      expect(formatToString(parseFormat(f))).toBe(f);
    expect(formatToString({ extension: '.md', formatName: 'markdown' })).toBe('md');
  });

  it('rejects unknown names with a FormatError', () => {
    for (const bad of ['txt', 'py:nope', 'md:percent', 'py:markdown', 'py:sphinx', 'Rmd', ''])
      expect(() => parseFormat(bad)).toThrow(FormatError);
    expect(() => parseFormat('py:nope')).toThrow(/nope/);
  });

  it('resolves auto from language_info, with jupytext fix-ups, else from the kernel language', () => {
    const resolve = (metadata: JsonObject) => resolveFormat(parseFormat('auto:percent'), { metadata }).extension;
    expect(resolve({ language_info: { name: 'R', file_extension: '.r' } })).toBe('.R');
    expect(resolve({ language_info: { name: 'F#', file_extension: '.fs' } })).toBe('.fsx');
    expect(resolve({ language_info: { name: 'c++', file_extension: '.C' } })).toBe('.cpp');
    expect(resolve({ kernelspec: { name: 's', display_name: 'S', language: 'scheme' } })).toBe('.ss');
    expect(resolve({ kernelspec: { name: 'o', display_name: 'O', language: 'octave' } })).toBe('.m');
    expect(
      resolve({
        kernelspec: { name: 's', display_name: 'S', language: 'sage' },
        language_info: { name: 'sage', file_extension: '.py' },
      }),
    ).toBe('.sage');
    expect(() => resolve({})).toThrow(FormatError);
  });
});

describe('percent', () => {
  it('writes and reads a worked example of the percent format', () => {
    const cells = [
      codeCell('a = 1\n\n\nb=2'),
      codeCell(''),
      markdownCell('hello\n\nworld'),
      codeCell('\n\nx\n\n'),
      rawCell('raw'),
      codeCell('def f():\n    pass'),
      codeCell('f()'),
      markdownCell(''),
    ];
    const text = write(nb(cells), 'py:percent');
    expect(text).toBe(
      '# %%\na = 1\n\n\nb=2\n\n# %%\n\n# %% [markdown]\n# hello\n#\n# world\n\n# %%\n\n\nx\n\n\n\n# %% [raw]\n# raw\n\n# %%\ndef f():\n    pass\n\n\n# %%\nf()\n\n# %% [markdown]\n#\n',
    );
    const back = textToNotebook(text, 'py:percent');
    expect(back.cells.map((c) => [c.cell_type, c.source])).toEqual(cells.map((c) => [c.cell_type, c.source]));
    expect(back.cells.every((c) => Object.keys(c.metadata).length === 0)).toBe(true);
  });

  it('reads empty lines beyond the separator as the end of the source, fewer as lines_to_next_cell', () => {
    const read = (text: string) => cellsOf(textToNotebook(text, 'py:percent'));
    expect(read('# %%\na\n\n\n# %%\nb\n')).toEqual([
      { type: 'code', source: 'a\n', metadata: {} },
      { type: 'code', source: 'b', metadata: {} },
    ]);
    expect(read('# %%\na\n# %%\nb\n')[0]!.metadata).toEqual({ lines_to_next_cell: 0 });
    expect(read('# %%\ndef f(): pass\n\n# %%\nf()\n')[0]).toEqual({
      type: 'code',
      source: 'def f(): pass',
      metadata: { lines_to_next_cell: 1 },
    });
    expect(read('# %%\na\n\n\n')).toEqual([{ type: 'code', source: 'a\n\n', metadata: {} }]);
    expect(read('# hello\n\n# %%\na\n').map((c) => c.type)).toEqual(['code', 'code']);
    for (const source of ['x\n', 'y\n\n', 'x = 1\n\n\n']) {
      const n = nb([codeCell('a'), codeCell(source), codeCell('b')]);
      expect(textToNotebook(write(n, 'py:percent'), 'py:percent').cells.map((c) => c.source)).toEqual(
        n.cells.map((c) => c.source),
      );
    }
  });

  it('writes cell metadata, titles and depth on the marker line', () => {
    const cells = [
      codeCell('x', { metadata: { tags: ['é', 'a b'], n: { y: 1, x: [1, 2] } } }),
      codeCell('y', { metadata: { title: 'My title', cell_depth: 2, k: 'v' } }),
      markdownCell('m', { metadata: { title: 'T' } }),
      codeCell('z', { metadata: { collapsed: true, scrolled: false, ExecuteTime: {}, keep: 1, tags: [] } }),
    ];
    const text = write(nb(cells, { jupytext: { notebook_metadata_filter: '-all' } }), 'py:percent');
    expect(text.split('\n').filter((l) => l.startsWith('# %%'))).toEqual([
      '# %% tags=["\\u00e9", "a b"] n={"y": 1, "x": [1, 2]}',
      '# %%%% My title k="v"',
      '# %% T [markdown]',
      '# %% keep=1',
    ]);
    const back = textToNotebook(text, 'py:percent');
    expect(back.cells.map((c) => c.metadata)).toEqual([
      cells[0]!.metadata,
      cells[1]!.metadata,
      { title: 'T' },
      { keep: 1 },
    ]);
  });

  it('turns language cell magics into marker metadata and comments other magics', () => {
    const cells = [
      codeCell('%%R -w 400 -h 240\nggplot(x)'),
      codeCell('%%bash\nls'),
      codeCell('%%time\nx=1'),
      codeCell('%matplotlib inline\n!ls -l\nx = !ls\nhelp?\n# %time\nrm = 3'),
    ];
    const text = write(nb(cells), 'py:percent');
    expect(text).toBe(
      '# %% magic_args="-w 400 -h 240" language="R"\n# ggplot(x)\n\n# %% language="bash"\n# ls\n\n# %%\n# %%time\nx=1\n\n# %%\n# %matplotlib inline\n# !ls -l\n# x = !ls\n# help?\n# # %time\nrm = 3\n',
    );
    expect(textToNotebook(text, 'py:percent').cells.map((c) => c.source)).toEqual(cells.map((c) => c.source));
  });

  it('writes other languages with their comment syntax, and a coding line for non-ASCII', () => {
    const md = markdownCell('a\n\nb');
    expect(write(nb([md, codeCell('x')]), 'cpp:percent')).toBe('// %% [markdown]\n// a\n//\n// b\n\n// %%\nx\n');
    expect(write(nb([md, codeCell('x')]), 'ml:percent')).toBe(
      '(* %% [markdown] *)\n(* a *)\n(* *)\n(* b *)\n\n(* %% *)\nx\n',
    );
    expect(write(nb([codeCell('x'), codeCell('y')]), 'R:percent')).toBe('# %%\nx\n\n# %%\ny\n');
    const julia = { kernelspec: { display_name: 'Julia', language: 'julia', name: 'julia' } };
    expect(
      write(nb([codeCell('π = 3')], julia), 'jl:percent')
        .split('\n')
        .slice(0, 2),
    ).toEqual(['# -*- coding: utf-8 -*-', '# ---']);
  });

  it('reads and writes raw, active and frozen cells', () => {
    const text =
      '# %% tags=["active-ipynb"]\n# a\n\n# %% tags=["active-py"]\nb = 1\n\n# %% active="ipynb"\n# c\n\n# %% active="py"\nd\n';
    const read = textToNotebook(text, 'py:percent');
    expect(read.cells.map((c) => [c.cell_type, c.source])).toEqual([
      ['code', 'a'],
      ['raw', 'b = 1'],
      ['code', 'c'],
      ['raw', 'd'],
    ]);
    expect(notebookToText(read, 'py:percent', { textRepresentation: false })).toBe(text);
  });

  it('reads triple-quoted markdown and keeps its style', () => {
    const text = '# %% [markdown]\n"""\nplain md\n"""\n\n# %% [markdown]\nr"""\nwith \\alpha backslash\n"""\n';
    const read = textToNotebook(text, 'py:percent');
    expect(cellsOf(read)).toEqual([
      { type: 'markdown', source: 'plain md', metadata: { cell_marker: '"""' } },
      { type: 'markdown', source: 'with \\alpha backslash', metadata: { cell_marker: 'r"""' } },
    ]);
    expect(notebookToText(read, 'py:percent', { textRepresentation: false })).toBe(text);
  });

  it('round-trips the shebang and coding lines', () => {
    const text = '#!/usr/bin/env python\n# coding: utf-8\n# %%\nx=1\n';
    const read = textToNotebook(text, 'py:percent');
    expect((read.metadata.jupytext as JsonObject).executable).toBe('/usr/bin/env python');
    expect(notebookToText(read, 'py:percent', { textRepresentation: false })).toBe(text);
  });

  it('fixes jupytext quirk Q2: a markdown heading that looks like a magic reads back unchanged', () => {
    const n = nb([markdownCell('# %time is a magic\n%matplotlib')]);
    expect(textToNotebook(write(n, 'py:percent'), 'py:percent').cells[0]!.source).toBe(
      '# %time is a magic\n%matplotlib',
    );
  });

  it('fixes jupytext quirk Q1: a whitespace-only last line stays in its cell', () => {
    const n = nb([codeCell('print()\n    '), codeCell('   ')]);
    expect(textToNotebook(write(n, 'py:percent'), 'py:percent').cells.map((c) => c.source)).toEqual([
      'print()\n    ',
      '   ',
    ]);
  });
});

describe('light', () => {
  it('writes a worked example of the light format', () => {
    const cells = [
      markdownCell('md1'),
      markdownCell('md2'),
      codeCell('a = 1\nb = 2'),
      codeCell('def f():\n    x = 1\n\n    return x'),
      codeCell('c = 1\n\nd = 2'),
      codeCell('# only comment'),
      codeCell('e = 3', { metadata: { tags: ['t'] } }),
      markdownCell('md with meta', { metadata: { k: 'v' } }),
      rawCell('raw'),
      codeCell('%matplotlib inline\nf()'),
      codeCell('x?'),
      codeCell('# +\ny\n\ng = 1'),
      codeCell('h'),
    ];
    const text = write(nb(cells, { jupytext: { notebook_metadata_filter: '-all' } }), 'py:light');
    expect(text).toBe(
      [
        '# md1',
        '',
        '# md2',
        '',
        'a = 1',
        'b = 2',
        '',
        '',
        'def f():',
        '    x = 1',
        '',
        '    return x',
        '',
        '',
        '# +',
        'c = 1',
        '',
        'd = 2',
        '',
        '# +',
        '# only comment',
        '',
        '# + tags=["t"]',
        'e = 3',
        '',
        '# + [markdown] k="v"',
        '# md with meta',
        '',
        '# + active=""',
        '# raw',
        '# -',
        '',
        '# %matplotlib inline',
        'f()',
        '',
        '# +',
        '# x?',
        '',
        '# +',
        '# # +',
        'y',
        '',
        'g = 1',
        '# -',
        '',
        'h',
        '',
      ].join('\n'),
    );
    const back = textToNotebook(text, 'py:light');
    expect(back.cells.map((c) => [c.cell_type, c.source])).toEqual(cells.map((c) => [c.cell_type, c.source]));
  });

  it('ends explicit cells with a longer marker when the content has a `# -` line', () => {
    const text = write(nb([codeCell('a\n\n# -\nb'), codeCell('c')]), 'py:light');
    expect(text).toBe('# + endofcell="--"\na\n\n# -\nb\n# --\n\nc\n');
    expect(textToNotebook(text, 'py:light').cells.map((c) => c.source)).toEqual(['a\n\n# -\nb', 'c']);
  });

  it('supports folding markers as cell markers', () => {
    const n = nb([codeCell('a = 1\n\nb = 2'), codeCell('c')]);
    const text = write(n, 'py:light', { cell_markers: '{{{,}}}' });
    expect(text).toContain('# {{{\na = 1\n\nb = 2\n# }}}\n');
    expect(textToNotebook(text, 'py').cells.map((c) => c.source)).toEqual(['a = 1\n\nb = 2', 'c']);
  });
});

describe('markdown', () => {
  it('writes a worked example of the markdown format', () => {
    const cells = [
      markdownCell('first'),
      markdownCell('second'),
      markdownCell('with meta', { metadata: { tags: ['x'] } }),
      codeCell('print("```")\n```python\nx\n```'),
      codeCell('%%bash\nls'),
      codeCell('x', { metadata: { tags: ['a'] } }),
    ];
    const text = write(nb(cells, { ...PY, jupytext: { notebook_metadata_filter: '-all' } }), 'md');
    expect(text).toBe(
      'first\n\n\nsecond\n\n<!-- #region tags=["x"] -->\nwith meta\n<!-- #endregion -->\n\n````python\nprint("```")\n```python\nx\n```\n````\n\n```bash\nls\n```\n\n```python tags=["a"]\nx\n```\n',
    );
    expect(cellsOf(textToNotebook(text, 'md'))).toEqual(cellsOf(nb(cells)));
  });

  it('protects markdown that would not read back as one cell, and writes raw cells as regions', () => {
    const cells = [markdownCell('a\n\n\nb'), rawCell('r'), codeCell('1')];
    const text = write(nb(cells, PY), 'md');
    expect(text).toContain('<!-- #region -->\na\n\n\nb\n<!-- #endregion -->');
    expect(text).toContain('<!-- #raw -->\nr\n<!-- #endraw -->');
    expect(textToNotebook(text, 'md').cells.map((c) => [c.cell_type, c.source])).toEqual(
      cells.map((c) => [c.cell_type, c.source]),
    );
  });

  it('protects markdown whose code block stays open and would swallow the next cell (a random counterexample from CI)', () => {
    const julia = { kernelspec: { display_name: 'Julia 1.10', language: 'julia', name: 'julia-1.10' } };
    const cells = [markdownCell('```\n```python'), markdownCell('# Title')];
    const text = write(nb(cells, julia), 'md');
    expect(text).toContain('<!-- #region -->\n```\n```python\n<!-- #endregion -->');
    expect(textToNotebook(text, 'md').cells.map((c) => [c.cell_type, c.source])).toEqual(
      cells.map((c) => [c.cell_type, c.source]),
    );
  });
});

describe('header', () => {
  it('writes text_representation without any tool version, and reads it back', () => {
    const text = notebookToText(nb([codeCell('1')], PY), 'py:percent');
    expect(text).toBe(
      "# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n#       extension: .py\n#       format_name: percent\n#       format_version: '1.3'\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n#     name: python3\n# ---\n\n# %%\n1\n",
    );
    expect(text).not.toContain('jupytext_version');
    // A light file says so in its header, and the bare extension then reads and writes it as light.
    const light = notebookToText(nb([codeCell('1')], PY), 'py:light');
    expect(notebookToText(textToNotebook(light, 'py'), 'py')).toBe(light);
  });

  it('reports an invalid YAML header with its line number', () => {
    const text = '# %%\n'.replace('# %%', '# ---\n# jupyter:\n#   kernelspec: [oops\n#   name: x\n# ---\n\n# %%\n1');
    try {
      textToNotebook(text, 'py');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      expect((e as FormatError).line).toBeGreaterThanOrEqual(3);
      expect((e as FormatError).message).toMatch(/^line \d+: invalid YAML header/);
    }
  });

  it('reports a YAML header nested too deeply to read as such, with its line number', () => {
    const text = `# ---\n# jupyter:\n#   x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n# ---\n\n# %%\n1\n`;
    expect(() => textToNotebook(text, 'py')).toThrow('line 2: invalid YAML header: nesting too deep to read');
  });

  it('keeps a root-level YAML raw cell in the header', () => {
    const cells = [rawCell('---\ntitle: A title\n---'), codeCell('1')];
    const text = write(nb(cells, PY), 'py:percent');
    expect(text.startsWith('# ---\n# title: A title\n# jupyter:\n')).toBe(true);
    expect(textToNotebook(text, 'py').cells.map((c) => c.source)).toEqual(['---\ntitle: A title\n---', '1']);
  });

  it('applies the notebook metadata filter, and keeps custom header keys on the next write (#376)', () => {
    const metadata = { ...PY, widgets: { w: 1 }, custom: 'x' };
    expect(write(nb([codeCell('1')], metadata), 'py:percent')).not.toContain('custom');
    const text = write(nb([codeCell('1')], metadata), 'py:percent').replace(
      '# jupyter:\n',
      '# jupyter:\n#   custom: x\n',
    );
    const read = textToNotebook(text, 'py');
    expect((read.metadata.jupytext as JsonObject).notebook_metadata_filter).toBe('custom');
    const again = notebookToText(read, 'py:percent', { textRepresentation: false });
    expect(again).toContain('#   custom: x\n#   jupytext:\n#     notebook_metadata_filter: custom\n');
    expect(notebookToText(textToNotebook(again, 'py'), 'py:percent', { textRepresentation: false })).toBe(again);
    expect(
      write(nb([codeCell('1')], metadata), 'py:percent', { notebook_metadata_filter: 'all,-language_info' }),
    ).toContain('#   widgets:');
  });

  it('records format options in the header', () => {
    const text = notebookToText(nb([codeCell('1')], PY), 'py:percent', {
      textRepresentation: false,
      formatOptions: { cell_metadata_filter: '-all' },
    });
    expect(text).toContain('#   jupytext:\n#     cell_metadata_filter: -all\n');
  });

  it('rejects unknown format options', () => {
    expect(() => write(nb([]), 'py', { no_such_option: 1 })).toThrow(FormatError);
    expect(() => write(nb([]), 'py', { comment_magics: 'yes' })).toThrow(FormatError);
  });
});

describe('PyYAML emitter', () => {
  it('quotes like PyYAML safe_dump', () => {
    const dump = (value: unknown) => pyyamlDump({ k: value } as JsonObject);
    expect(dump('1.3')).toBe("k: '1.3'\n");
    expect(dump('007')).toBe("k: '007'\n");
    expect(dump('yes')).toBe("k: 'yes'\n");
    expect(dump('null')).toBe("k: 'null'\n");
    expect(dump('')).toBe("k: ''\n");
    expect(dump('a: b')).toBe("k: 'a: b'\n");
    expect(dump('#c')).toBe("k: '#c'\n");
    expect(dump('IDL [conda env:gdl] *')).toBe('k: IDL [conda env:gdl] *\n');
    expect(dump('.NET (C#)')).toBe('k: .NET (C#)\n');
    expect(dump('-all')).toBe('k: -all\n');
    expect(dump('Pythön 3')).toBe('k: "Pyth\\xF6n 3"\n');
    expect(dump('line1\nline2')).toBe("k: 'line1\n\n  line2'\n");
    expect(dump([])).toBe('k: []\n');
    expect(dump({})).toBe('k: {}\n');
    expect(dump(['a', { b: 1, a: null }])).toBe('k:\n- a\n- a: null\n  b: 1\n');
    expect(dump(true)).toBe('k: true\n');
  });

  it('folds long plain scalars at 80 columns', () => {
    const long = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');
    expect(pyyamlDump({ jupyter: { k: long } })).toBe(
      'jupyter:\n  k: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n    word13 word14 word15 word16 word17 word18 word19\n',
    );
  });
});

describe('cell metadata on marker lines', () => {
  it('parses key=value with titles, attributes and Python literals', () => {
    expect(textToMetadata('Optional title [markdown] key="value"', true)).toEqual({
      title: 'Optional title [markdown]',
      metadata: { key: 'value' },
    });
    expect(textToMetadata('.class tags=["parameters"]', true)).toEqual({
      title: '',
      metadata: { '.class': null, tags: ['parameters'] },
    });
    expect(textToMetadata('key=True other=None t=(1,2)', true).metadata).toEqual({ key: true, other: null, t: [1, 2] });
    expect(textToMetadata('title {"tags": ["a"], "k": 1}', true)).toEqual({
      title: 'title',
      metadata: { tags: ['a'], k: 1 },
    });
    expect(textToMetadata('a=b', true).metadata).toEqual({ incorrectly_encoded_metadata: 'a=b' });
  });

  it('reads Python literals as ast.literal_eval does, and writes floats back with their spelling', () => {
    const { metadata } = textToMetadata('k=1.0 big=12345678901234567890 p=(1) t=(1,) n=-2.50', true);
    expect(metadataToText('', metadata)).toBe('k=1.0 big=12345678901234567890 p=1 t=[1] n=-2.5');
  });

  it('reads the escapes of Python strings as Python does, octal included', () => {
    expect(textToMetadata(String.raw`k='\101\a\12' t=('\x41', '\q')`, true).metadata).toEqual({
      k: 'A\x07\n',
      t: ['A', '\\q'],
    });
  });

  it('writes values as Python json.dumps does', () => {
    expect(metadataToText('', { tags: ['é'], a: true, n: null, '.class': null, s: 'x"y' })).toBe(
      'tags=["\\u00e9"] a=true n=null .class s="x\\"y"',
    );
    expect(metadataToText('t', { k: 1 }, true)).toBe('t {"k": 1}');
  });
});

describe('magics', () => {
  it('comments and uncomments exactly one level', () => {
    const source = [
      '%matplotlib inline',
      '!ls',
      'cd ..',
      'rm = 3',
      '  %time f()',
      '# %time',
      's = """',
      '%notmagic',
      '"""',
    ];
    const commented = commentMagics(source, 'python');
    expect(commented).toEqual([
      '# %matplotlib inline',
      '# !ls',
      '# cd ..',
      'rm = 3',
      '  # %time f()',
      '# # %time',
      's = """',
      '%notmagic',
      '"""',
    ]);
    expect(uncommentMagics(commented, 'python')).toEqual(source);
    expect(commentMagics(['%let x = 1;'], 'sas')).toEqual(['%let x = 1;']);
    expect(commentMagics([':dep serde'], 'rust')).toEqual(['// :dep serde']);
  });
});

describe('pep8 blank lines', () => {
  it('wants two blank lines around definitions in .py only', () => {
    expect(pep8LinesBetweenCells(['def f(): return 1'], ['f()'], '.py')).toBe(2);
    expect(pep8LinesBetweenCells(['x = 1'], ['@dec', 'def g():'], '.py')).toBe(2);
    expect(pep8LinesBetweenCells(['class A: pass'], ['# md'], '.py')).toBe(1);
    expect(pep8LinesBetweenCells(['def f(): return 1'], ['f()'], '.R')).toBe(1);
    expect(pep8LinesBetweenCells(['x'], [], '.py')).toBe(1);
  });
});

describe('pep8 blank lines after a source that ends with a newline', () => {
  // A source's final newline is an empty last line of the cell's text, and it counts towards the two blank
  // lines PEP 8 wants before a definition: one more blank line completes them (jupytext's rule; the
  // expected texts are jupytext's output). Reading gives each cell the fewest final empty lines that
  // explain the text, so `x = 1\n` and `x = 1` before a definition, which give the same text, read back as
  // `x = 1`, as in jupytext.
  const def = codeCell('def f():\n    pass');
  const cases: [string, Cell[], string, string[]][] = [
    ['py:percent', [codeCell('x = 1\n'), def], '# %%\nx = 1\n\n\n# %%\ndef f():\n    pass\n', ['x = 1', def.source]],
    [
      'py:percent',
      [codeCell('x = 1\n'), codeCell('class A:\n    pass')],
      '# %%\nx = 1\n\n\n# %%\nclass A:\n    pass\n',
      ['x = 1', 'class A:\n    pass'],
    ],
    [
      'py:percent',
      [codeCell('x = 1\n'), codeCell('async def f():\n    pass')],
      '# %%\nx = 1\n\n\n# %%\nasync def f():\n    pass\n',
      ['x = 1', 'async def f():\n    pass'],
    ],
    [
      'py:percent',
      [codeCell('x = 1\n'), codeCell('# a comment\n@dec\nclass A:\n    pass')],
      '# %%\nx = 1\n\n\n# %%\n# a comment\n@dec\nclass A:\n    pass\n',
      ['x = 1', '# a comment\n@dec\nclass A:\n    pass'],
    ],
    [
      'py:percent',
      [codeCell('x = 1\n\n'), def],
      '# %%\nx = 1\n\n\n\n# %%\ndef f():\n    pass\n',
      ['x = 1\n\n', def.source],
    ],
    [
      'py:percent',
      [markdownCell('Title'), codeCell('x = 1\n'), def],
      '# %% [markdown]\n# Title\n\n# %%\nx = 1\n\n\n# %%\ndef f():\n    pass\n',
      ['Title', 'x = 1', def.source],
    ],
    [
      'py:percent',
      [codeCell('import os\n'), markdownCell('A class'), codeCell('class A:\n    pass\n'), codeCell('A()')],
      '# %%\nimport os\n\n\n# %% [markdown]\n# A class\n\n# %%\nclass A:\n    pass\n\n\n\n# %%\nA()\n',
      ['import os', 'A class', 'class A:\n    pass\n', 'A()'],
    ],
    [
      'py:percent',
      [markdownCell('Title\n'), def],
      '# %% [markdown]\n# Title\n#\n\n# %%\ndef f():\n    pass\n',
      ['Title\n', def.source],
    ],
    [
      'py:percent',
      [codeCell('def f():\n    pass\n'), markdownCell('Title')],
      '# %%\ndef f():\n    pass\n\n\n# %% [markdown]\n# Title\n',
      ['def f():\n    pass\n', 'Title'],
    ],
    [
      'py:percent',
      [codeCell('def f():\n    pass\n\n'), codeCell('f()')],
      '# %%\ndef f():\n    pass\n\n\n\n# %%\nf()\n',
      ['def f():\n    pass\n', 'f()'],
    ],
    ['py:percent', [codeCell('x = 1\n'), codeCell('y = 2')], '# %%\nx = 1\n\n\n# %%\ny = 2\n', ['x = 1\n', 'y = 2']],
    ['py:hydrogen', [codeCell('x = 1\n'), def], '# %%\nx = 1\n\n\n# %%\ndef f():\n    pass\n', ['x = 1', def.source]],
    [
      'py:light',
      [codeCell('x = 1\n'), codeCell('@dec\nclass A:\n    pass')],
      'x = 1\n\n\n@dec\nclass A:\n    pass\n',
      ['x = 1', '@dec\nclass A:\n    pass'],
    ],
    ['py:light', [markdownCell('Title\n'), def], '# Title\n#\n\ndef f():\n    pass\n', ['Title\n', def.source]],
    ['py:nomarker', [codeCell('x = 1\n'), def], 'x = 1\n\n\ndef f():\n    pass\n', ['x = 1', def.source]],
    // No PEP 8 spacing outside Python: one blank line, and the final newline reads back.
    [
      'R:percent',
      [codeCell('x <- 1\n'), codeCell('f <- function() {\n}')],
      '# %%\nx <- 1\n\n\n# %%\nf <- function() {\n}\n',
      ['x <- 1\n', 'f <- function() {\n}'],
    ],
    [
      'jl:percent',
      [codeCell('x = 1\n'), codeCell('function f()\nend')],
      '# %%\nx = 1\n\n\n# %%\nfunction f()\nend\n',
      ['x = 1\n', 'function f()\nend'],
    ],
  ];

  it.each(cases)('%s, case %#', (format, cells, text, sources) => {
    expect(write(nb(cells), format)).toBe(text);
    const back = textToNotebook(text, format);
    expect(back.cells.map((c) => c.source)).toEqual(sources);
    expect(back.cells.map((c) => c.metadata)).toEqual(cells.map(() => ({})));
    expect(write({ ...nb([]), cells: back.cells }, format)).toBe(text);
  });
});

describe('format detection', () => {
  it('reads percent, hydrogen and light from the content', () => {
    const repr = (text: string, ext = 'py') =>
      (textToNotebook(text, ext).metadata.jupytext as JsonObject).text_representation;
    expect(repr('# %%\nx\n')).toEqual({ extension: '.py', format_name: 'percent' });
    expect(repr('# %%\n%time x\n')).toEqual({ extension: '.py', format_name: 'hydrogen' });
    expect(repr('x = 1\n')).toEqual({ extension: '.py', format_name: 'light' });
    expect(repr('// %%\nx\n', 'js')).toEqual({ extension: '.js', format_name: 'percent' });
  });

  it('refuses sphinx-gallery and knitr-spin scripts unless a format is named', () => {
    const sphinx = '"""doc"""\n' + '#'.repeat(30) + '\n# text\n' + '#'.repeat(30) + '\nx = 1\n';
    expect(() => textToNotebook(sphinx, 'py')).toThrow(/sphinx/);
    expect(textToNotebook(sphinx, 'py:light').cells.length).toBeGreaterThan(0);
    expect(() => textToNotebook("#' text\nx <- 1\n", 'R')).toThrow(/spin/);
  });
});
