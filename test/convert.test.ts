import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORPORA, nbpipe, tempDir } from './helpers.js';

// `nbpipe convert` through the built CLI (build first: npx tsc -b packages/cli).

const CORPUS = join(CORPORA, 'jupytext');
const JUPYTER = join(CORPUS, 'inputs/ipynb_py/jupyter.ipynb');
const JULIA = join(CORPUS, 'inputs/ipynb_julia/julia_functional_geometry.ipynb');

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function workdir(): string {
  const t = tempDir('nbpipe-convert-');
  cleanup = t.cleanup;
  return t.dir;
}

const listing = (dir: string) => readdirSync(dir).sort();

describe('nbpipe convert', () => {
  it('writes each result beside its input, in each kernel language with auto', () => {
    const dir = workdir();
    copyFileSync(JUPYTER, join(dir, 'jupyter.ipynb'));
    copyFileSync(JULIA, join(dir, 'geometry.ipynb'));
    const r = nbpipe(
      ['convert', 'jupyter.ipynb', 'geometry.ipynb', '--to', 'auto:percent', '--no-text-representation'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(listing(dir)).toEqual(['geometry.ipynb', 'geometry.jl', 'jupyter.ipynb', 'jupyter.py']);
    expect(readFileSync(join(dir, 'jupyter.py'), 'utf8')).toBe(
      readFileSync(join(CORPUS, 'outputs/ipynb_to_percent/jupyter.py'), 'utf8'),
    );
    expect(readFileSync(join(dir, 'geometry.jl'), 'utf8')).toBe(
      readFileSync(join(CORPUS, 'outputs/ipynb_to_percent/julia_functional_geometry.jl'), 'utf8'),
    );
  });

  it('writes the text representation by default, without a tool version', () => {
    const dir = workdir();
    copyFileSync(JUPYTER, join(dir, 'nb.ipynb'));
    expect(nbpipe(['convert', 'nb.ipynb', '--to', 'py'], { cwd: dir }).code).toBe(0);
    const text = readFileSync(join(dir, 'nb.py'), 'utf8');
    expect(text).toContain(
      "#     text_representation:\n#       extension: .py\n#       format_name: percent\n#       format_version: '1.3'\n",
    );
    expect(text).not.toContain('jupytext_version');
  });

  it('goes from text to ipynb and back to the same text', () => {
    const dir = workdir();
    copyFileSync(JUPYTER, join(dir, 'nb.ipynb'));
    expect(nbpipe(['convert', 'nb.ipynb', '--to', 'py:light'], { cwd: dir }).code).toBe(0);
    const light = readFileSync(join(dir, 'nb.py'), 'utf8');
    expect(nbpipe(['convert', 'nb.py', '--to', 'ipynb', '-o', 'back.ipynb'], { cwd: dir }).code).toBe(0);
    const back = JSON.parse(readFileSync(join(dir, 'back.ipynb'), 'utf8'));
    expect(back.metadata.jupytext?.text_representation).toBeUndefined();
    expect(nbpipe(['convert', 'back.ipynb', '--to', 'py:light', '-o', 'again.py'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'again.py'), 'utf8')).toBe(light);
  });

  it('reads stdin and writes stdout with -', () => {
    const r = nbpipe(['convert', '-', '--to', 'md', '--no-text-representation'], { input: readFileSync(JUPYTER) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(CORPUS, 'outputs/ipynb_to_md/jupyter.md'), 'utf8'));
    const py = nbpipe(['convert', '-', '--from', 'py:percent', '--to', 'ipynb', '-o', '-'], { input: '# %%\n1 + 1\n' });
    expect(py.code, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout).cells[0].source).toEqual(['1 + 1']);
  });

  it('passes format options with --opt', () => {
    const dir = workdir();
    copyFileSync(join(CORPUS, 'inputs/ipynb_py/sample_rise_notebook_66.ipynb'), join(dir, 'nb.ipynb'));
    const r = nbpipe(
      [
        'convert',
        'nb.ipynb',
        '--to',
        'py',
        '--no-text-representation',
        '--opt',
        'cell_metadata_filter=-all',
        '-o',
        '-',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('#   jupytext:\n#     cell_metadata_filter: -all\n');
    expect(r.stdout).not.toContain('slideshow');
  });

  describe('bad input: exit 2, one line naming the file, nothing written', () => {
    function expectRefused(dir: string, args: string[], mention: RegExp) {
      const before = listing(dir);
      const r = nbpipe(['convert', ...args], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(mention);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(listing(dir)).toEqual(before);
    }

    it('invalid notebook JSON (and the valid input beside it is not converted either)', () => {
      const dir = workdir();
      copyFileSync(JUPYTER, join(dir, 'good.ipynb'));
      writeFileSync(join(dir, 'broken.ipynb'), '{"cells": [');
      expectRefused(
        dir,
        ['good.ipynb', 'broken.ipynb', '--to', 'py'],
        /^nbpipe: broken\.ipynb: invalid JSON at line 1, column \d+/,
      );
    });

    it('invalid YAML header, with its line number', () => {
      const dir = workdir();
      writeFileSync(join(dir, 'bad.py'), '# ---\n# jupyter:\n#   kernelspec: [python\n#   name: x\n# ---\n\n# %%\n1\n');
      expectRefused(dir, ['bad.py', '--to', 'ipynb'], /^nbpipe: bad\.py: line [34]: invalid YAML header/);
    });

    it('unknown format name', () => {
      const dir = workdir();
      copyFileSync(JUPYTER, join(dir, 'nb.ipynb'));
      expectRefused(dir, ['nb.ipynb', '--to', 'py:fancy'], /^nbpipe: --to: unknown format 'py:fancy'/);
      expectRefused(dir, ['nb.ipynb', '--to', 'txt'], /^nbpipe: --to: unknown format 'txt'/);
    });

    it('unreadable or missing file', () => {
      const dir = workdir();
      copyFileSync(JUPYTER, join(dir, 'nb.ipynb'));
      expectRefused(
        dir,
        ['nb.ipynb', 'missing.ipynb', '--to', 'py'],
        /^nbpipe: missing\.ipynb: no such file or directory/,
      );
      writeFileSync(join(dir, 'binary.py'), Buffer.from([0x23, 0x00, 0xff, 0xfe]));
      expectRefused(dir, ['binary.py', '--to', 'ipynb'], /^nbpipe: binary\.py: /);
    });

    it('a notebook whose language is unknown with auto', () => {
      const dir = workdir();
      writeFileSync(
        join(dir, 'bare.ipynb'),
        JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
      );
      expectRefused(dir, ['bare.ipynb', '--to', 'auto:percent'], /^nbpipe: bare\.ipynb: cannot use 'auto'/);
    });

    it('two inputs that would be written to the same file', () => {
      const dir = workdir();
      copyFileSync(JUPYTER, join(dir, 'nb.ipynb'));
      writeFileSync(join(dir, 'nb.md'), '```python\n1\n```\n');
      expectRefused(dir, ['nb.ipynb', 'nb.md', '--to', 'py'], /would both be written to nb\.py/);
      expect(existsSync(join(dir, 'nb.py'))).toBe(false);
    });
  });
});
