import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, serialize, type Notebook } from '@nbpipe/nbformat';
import { notebookToText, parseFormat, resolveFormat, textToNotebook } from '../src/formats/index.js';
import { CORPORA } from '@nbpipe/test-support';

// jupytext's expected-output corpus (the reference corpora, README "Test"). Each ipynb input is written in a text
// format and compared byte for byte with jupytext's mirror file; text inputs are read and compared with their ipynb
// mirror. Each case is its own test: a case that stops matching fails.
const CORPUS = join(CORPORA, 'jupytext');
type Target = 'percent' | 'light' | 'md';

/**
 * Corpus cases we do not reproduce, each with its reason. A case listed here that starts to pass
 * fails the test, so that the list stays honest.
 */
const EXCEPTIONS: Record<string, string> = {
  // The spin format (knitr's `#'` comments) is not among the formats nbpipe supports (README, `nbpipe pair`).
  'script_to_ipynb/knitr-spin.ipynb': 'spin format not supported',
};

const ipynbInputs = readdirSync(join(CORPUS, 'inputs'))
  .filter((d) => d.startsWith('ipynb_'))
  .flatMap((d) => readdirSync(join(CORPUS, 'inputs', d)).map((f) => join(CORPUS, 'inputs', d, f)))
  .sort();

/** The first differing line, for the mismatch report. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const b = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `line ${i + 1}: got ${JSON.stringify(a[i])}, expected ${JSON.stringify(b[i])}`;
  return 'identical';
}

interface Case {
  target: Target;
  input: string;
  format: string;
  mirror: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const mirrors: [Target, string, string][] = [
    ['percent', 'auto:percent', 'ipynb_to_percent'],
    ['light', 'auto:light', 'ipynb_to_script'],
    ['md', 'md', 'ipynb_to_md'],
  ];
  for (const input of ipynbInputs) {
    const nb = parse(readFileSync(input, 'utf8'));
    const stem = basename(input, '.ipynb');
    for (const [target, format, dir] of mirrors) {
      const ext = resolveFormat(parseFormat(format), nb).extension;
      const mirror = join(CORPUS, 'outputs', dir, stem + ext);
      // jupytext skips "many hash signs" for light, so there is no mirror for it.
      if (existsSync(mirror)) out.push({ target, input, format, mirror });
    }
    // jupytext also writes the Scheme notebook with the second Scheme extension.
    if (input.includes('ipynb_scheme')) {
      out.push({
        target: 'percent',
        input,
        format: 'scm:percent',
        mirror: join(CORPUS, 'outputs/ipynb_to_percent', stem + '.scm'),
      });
      out.push({
        target: 'light',
        input,
        format: 'scm:light',
        mirror: join(CORPUS, 'outputs/ipynb_to_script', stem + '.scm'),
      });
    }
  }
  return out;
}

describe('jupytext corpus: ipynb → text, byte for byte', () => {
  const all = cases();
  it('finds the corpus', () => {
    expect(all.length).toBeGreaterThan(130);
  });
  for (const c of all) {
    it(`${c.target}: ${basename(c.input)} → ${basename(c.mirror)}`, () => {
      const nb = parse(readFileSync(c.input, 'utf8'));
      const expected = readFileSync(c.mirror, 'utf8');
      const actual = notebookToText(nb, c.format, { textRepresentation: false });
      expect(actual, firstDifference(actual, expected)).toBe(expected);
    });
  }
});

/** What the text keeps of a notebook: cells (type, source, metadata) and metadata, key order ignored. */
function canonical(nb: Notebook): unknown {
  const sorted = parse(serialize({ ...nb, cells: nb.cells.map((c) => ({ ...c, id: undefined })) }), {
    validate: false,
  });
  return {
    metadata: sorted.metadata,
    cells: sorted.cells.map((c) => ({ type: c.cell_type, source: c.source, metadata: c.metadata })),
  };
}

describe('jupytext corpus: text → ipynb', () => {
  const withInput: [string, string, string][] = [
    ['inputs/julia/julia_sample_script.jl', 'script_to_ipynb/julia_sample_script.ipynb', 'jl:light'],
    ['inputs/python/python_notebook_sample.py', 'script_to_ipynb/python_notebook_sample.ipynb', 'py:light'],
  ];
  for (const [input, mirror, format] of withInput) {
    it(`${input} reads as ${mirror}, which writes back to the input byte for byte`, () => {
      const text = readFileSync(join(CORPUS, input), 'utf8');
      const expected = parse(readFileSync(join(CORPUS, 'outputs', mirror), 'utf8'));
      // The format is detected from the content (no header says it).
      const nb = textToNotebook(text, format.split(':')[0]!, { textRepresentation: false });
      expect(canonical(nb)).toEqual(canonical(expected));
      expect(notebookToText(expected, format, { textRepresentation: false })).toBe(text);
    });
  }

  // The corpus keeps only the ipynb mirror of these (their text inputs are not part of it): the mirror
  // must survive text and back, and its text must be stable.
  const mirrorOnly: [string, string][] = [
    ['script_to_ipynb/hydrogen.ipynb', 'py:percent'],
    ['md_to_ipynb/jupytext_markdown.ipynb', 'md'],
    ['md_to_ipynb/plain_markdown.ipynb', 'md'],
  ];
  for (const [mirror, format] of mirrorOnly) {
    it(`${mirror} goes to ${format} and back unchanged`, () => {
      const expected = parse(readFileSync(join(CORPUS, 'outputs', mirror), 'utf8'));
      const text = notebookToText(expected, format, { textRepresentation: false });
      const nb = textToNotebook(text, format, { textRepresentation: false });
      expect(canonical(nb)).toEqual(canonical(expected));
      expect(notebookToText(nb, format, { textRepresentation: false })).toBe(text);
    });
  }

  it('every script_to_ipynb and md_to_ipynb mirror is covered or a named exception', () => {
    const covered = new Set([...withInput.map(([, m]) => m), ...mirrorOnly.map(([m]) => m)]);
    for (const dir of ['script_to_ipynb', 'md_to_ipynb'])
      for (const f of readdirSync(join(CORPUS, 'outputs', dir))) {
        const key = `${dir}/${f}`;
        expect(covered.has(key) || key in EXCEPTIONS, `${key} is neither tested nor a named exception`).toBe(true);
        expect(covered.has(key) && key in EXCEPTIONS, `${key} is tested and also listed as an exception`).toBe(false);
      }
  });
});

describe('jupytext corpus: every text mirror reads back to the same text', () => {
  for (const [dir, name] of [
    ['ipynb_to_percent', 'percent'],
    ['ipynb_to_script', 'light'],
    ['ipynb_to_md', 'markdown'],
  ] as const) {
    for (const file of readdirSync(join(CORPUS, 'outputs', dir))) {
      it(`${dir}/${file}`, () => {
        const text = readFileSync(join(CORPUS, 'outputs', dir, file), 'utf8');
        const ext = extname(file);
        // Named format, and format detected from the content; through a stored .ipynb in between.
        for (const format of [`${ext}:${name}`, ext]) {
          const nb = parse(serialize(textToNotebook(text, format)));
          expect(notebookToText(nb, format, { textRepresentation: false })).toBe(text);
        }
      });
    }
  }
});
