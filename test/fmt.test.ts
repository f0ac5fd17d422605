// `nbpipe fmt`, through the built CLI: byte-exact against Jupyter's own writer on the shared corpora,
// --check, stdin/stdout, and bad input (exit 2, one line naming the file, nothing written).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPORA, SYSTEM_PYTHON, nbpipe, tempDir } from './helpers.js';

function corpusNotebooks(dir = CORPORA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? corpusNotebooks(join(dir, e.name)) : e.name.endsWith('.ipynb') ? [join(dir, e.name)] : [],
  );
}

// For each file: does Jupyter's writer reproduce it byte for byte (read without conversion, write, plus
// the trailing newline nbformat.write adds)? Those are the notebooks `fmt` must reproduce too.
const JUPYTER_REPRODUCES = `
import json, sys, warnings
import nbformat
warnings.simplefilter('ignore')
for path in sys.argv[1:]:
    raw = open(path, 'rb').read()
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        same = (nbformat.writes(nb) + '\\n').encode('utf-8') == raw
    except Exception:
        same = False
    print(json.dumps([path, same]))
`;

function jupyterCanonical(text: string): string {
  const r = spawnSync(
    SYSTEM_PYTHON,
    [
      '-c',
      'import sys, nbformat; sys.stdout.write(nbformat.writes(nbformat.reads(sys.stdin.read(), as_version=nbformat.NO_CONVERT)) + "\\n")',
    ],
    { input: text, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

const CANONICAL =
  '{\n "cells": [\n  {\n   "cell_type": "markdown",\n   "id": "a1b2c3d4",\n   "metadata": {},\n   "source": [\n    "# Title\\n",\n    "é"\n   ]\n  }\n ],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n';
/** The same notebook as another tool might write it: 2-space indent, unsorted keys, source as one string. */
const NOT_CANONICAL = JSON.stringify(
  {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{ id: 'a1b2c3d4', cell_type: 'markdown', metadata: {}, source: '# Title\né' }],
  },
  null,
  2,
);

let work: { dir: string; cleanup: () => void };
beforeAll(() => {
  work = tempDir('nbpipe-fmt-');
});
afterAll(() => work.cleanup());

describe.skipIf(!existsSync(SYSTEM_PYTHON))('fmt is byte-exact on the shared corpora', () => {
  it("reproduces every notebook Jupyter's writer reproduces", () => {
    const files = corpusNotebooks();
    const r = spawnSync(SYSTEM_PYTHON, ['-c', JUPYTER_REPRODUCES, ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const reproduced = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as [string, boolean])
      .filter(([, same]) => same)
      .map(([path]) => path);
    expect(reproduced.length).toBeGreaterThanOrEqual(100);

    const dir = join(work.dir, 'corpus');
    mkdirSync(dir, { recursive: true });
    const copies = reproduced.map((path) => {
      const copy = join(dir, relative(CORPORA, path).replaceAll('/', '__'));
      copyFileSync(path, copy);
      return copy;
    });
    const check = nbpipe(['fmt', '--check', ...copies]);
    expect(check.stdout).toBe('');
    expect(check.code).toBe(0);
    const fmt = nbpipe(['fmt', ...copies]);
    expect(fmt.code, fmt.stderr).toBe(0);
    const changed = copies.filter((copy, k) => !readFileSync(copy).equals(readFileSync(reproduced[k]!)));
    expect(changed).toEqual([]);
  });

  it("rewrites a non-canonical notebook exactly as Jupyter's writer does", () => {
    const file = join(work.dir, 'messy.ipynb');
    writeFileSync(file, NOT_CANONICAL);
    const r = nbpipe(['fmt', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('reformatted');
    expect(readFileSync(file, 'utf8')).toBe(jupyterCanonical(NOT_CANONICAL));
    expect(readFileSync(file, 'utf8')).toBe(CANONICAL);
  });
});

describe('fmt --check', () => {
  it('exits 0 and writes nothing when every notebook is canonical', () => {
    const file = join(work.dir, 'check-ok.ipynb');
    writeFileSync(file, CANONICAL);
    const r = nbpipe(['fmt', '--check', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('exits 1 naming each notebook that would change, and leaves them untouched', () => {
    const good = join(work.dir, 'check-good.ipynb');
    const bad = join(work.dir, 'check-bad.ipynb');
    writeFileSync(good, CANONICAL);
    writeFileSync(bad, NOT_CANONICAL);
    const r = nbpipe(['fmt', '--check', good, bad]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([`${bad}: would reformat`]);
    expect(readFileSync(bad, 'utf8')).toBe(NOT_CANONICAL);
  });
});

describe('fmt -', () => {
  it('reads stdin and writes the canonical form to stdout', () => {
    const r = nbpipe(['fmt', '-'], { input: NOT_CANONICAL });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(CANONICAL);
  });

  it('--check - exits 1 for non-canonical input and prints nothing on stdout', () => {
    const r = nbpipe(['fmt', '--check', '-'], { input: NOT_CANONICAL });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('names <stdin> in errors', () => {
    const r = nbpipe(['fmt', '-'], { input: '{"cells": [' });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(/^nbpipe: <stdin>: invalid JSON at line 1, column 12/);
  });
});

describe('fmt keeps the file mode', () => {
  it('rewrites in place with the same permissions', () => {
    const file = join(work.dir, 'mode.ipynb');
    writeFileSync(file, NOT_CANONICAL);
    chmodSync(file, 0o640);
    expect(nbpipe(['fmt', file]).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});

describe('fmt on bad input: exit 2, one line naming the file, nothing written', () => {
  const cases: [string, string | Buffer | undefined, RegExp][] = [
    ['truncated JSON', CANONICAL.slice(0, 60), /invalid JSON at line \d+, column \d+/],
    ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]), /binary/],
    ['an empty file', '', /empty/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /UTF-8/],
    ['JSON that is not a notebook', '{"hello": "world"}\n', /not a notebook/],
    ['a missing file', undefined, /no such file/],
  ];
  for (const [what, content, message] of cases) {
    it(what, () => {
      const file = join(work.dir, `bad-${what.replaceAll(' ', '-')}.ipynb`);
      // A second, valid but non-canonical notebook in the same call must not be rewritten either.
      const other = join(work.dir, `other-${what.replaceAll(' ', '-')}.ipynb`);
      writeFileSync(other, NOT_CANONICAL);
      if (content !== undefined) writeFileSync(file, content);
      const before = content === undefined ? undefined : readFileSync(file);
      const r = nbpipe(['fmt', other, file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(message);
      if (before) expect(readFileSync(file).equals(before)).toBe(true);
      else expect(existsSync(file)).toBe(false);
      expect(readFileSync(other, 'utf8')).toBe(NOT_CANONICAL);
      expect(readdirSync(work.dir).filter((f) => f.includes('.tmp') || f.startsWith('.'))).toEqual([]);
    });
  }

  it('a directory, for fmt and validate', () => {
    const folder = join(work.dir, 'folder.ipynb');
    mkdirSync(folder);
    for (const command of ['fmt', 'validate']) {
      const r = nbpipe([command, folder]);
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toBe(`nbpipe: ${folder}: is a directory\n`);
    }
  });
});
