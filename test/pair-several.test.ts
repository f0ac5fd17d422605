import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, tempRepo } from './helpers.js';

// No jupytext configuration above the temp folders may leak into these tests.
const env = { JUPYTEXT_CEILING_DIRECTORIES: '/tmp' };

function notebook(source: string): string {
  const cell = {
    cell_type: 'code',
    execution_count: 1,
    id: 'c1',
    metadata: {},
    outputs: [{ name: 'stdout', output_type: 'stream', text: ['out\n'] }],
    source: [source],
  };
  const metadata = { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } };
  return JSON.stringify({ cells: [cell], metadata, nbformat: 4, nbformat_minor: 5 }, null, 1) + '\n';
}

function project() {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  repo.write('a.ipynb', notebook('a = 1'));
  repo.write('sub/b.ipynb', notebook('b = 2'));
  const run = (args: string[]) => nbpipe(args, { cwd: repo.dir, env });
  const exists = (path: string) => existsSync(join(repo.dir, path));
  return { repo, run, exists };
}

describe('nbpipe pair with several notebooks', () => {
  it('pairs each of them, and pairs once when two members of one pair are given', () => {
    const { repo, run } = project();
    const r = run(['pair', 'a.ipynb', 'sub/b.ipynb', '--formats', 'ipynb,py:percent']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('a.ipynb ⇄ a.py: wrote');
    expect(r.stderr).toContain('sub/b.ipynb ⇄ sub/b.py: wrote');
    expect(repo.read('a.py')).toContain('# %%\na = 1\n');
    expect(repo.read('sub/b.py')).toContain('# %%\nb = 2\n');
    for (const nb of ['a.ipynb', 'sub/b.ipynb']) {
      const written = JSON.parse(repo.read(nb));
      expect(written.metadata.jupytext.formats).toBe('ipynb,py:percent');
      expect(written.cells[0].outputs).toHaveLength(1);
    }
    const again = run(['pair', 'a.ipynb', 'a.py', '--formats', 'ipynb,py:percent']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.trim().split('\n')).toEqual(['a.ipynb ⇄ a.py: already paired and in sync']);
  });

  it('writes nothing when one of them is bad input (exit 2, one line)', () => {
    const { repo, run, exists } = project();
    repo.write('broken.ipynb', '{"cells": [');
    const before = repo.read('a.ipynb');
    for (const args of [
      ['pair', 'a.ipynb', 'broken.ipynb', 'sub/b.ipynb', '--formats', 'ipynb,py:percent'],
      ['pair', 'a.ipynb', 'missing.ipynb', '--formats', 'ipynb,py:percent'],
    ]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/broken\.ipynb: invalid JSON|missing\.ipynb/);
      expect(exists('a.py')).toBe(false);
      expect(exists('sub/b.py')).toBe(false);
      expect(repo.read('a.ipynb')).toBe(before);
    }
  });

  it('reports a conflicting pair (exit 1) and pairs the others', () => {
    const { repo, run } = project();
    repo.write('a.py', '# %%\nsomething = "else"\n');
    const r = run(['pair', 'a.ipynb', 'sub/b.ipynb', '--formats', 'ipynb,py:percent']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('conflict: a.py already exists with cells that differ from a.ipynb');
    expect(readFileSync(join(repo.dir, 'a.py'), 'utf8')).toBe('# %%\nsomething = "else"\n');
    expect(repo.read('sub/b.py')).toContain('b = 2');
  });
});
