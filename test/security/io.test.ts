/**
 * Reading and writing files safely, through the built CLI: a directory where a file is read, a write that fails, a
 * write killed half-way, a pipeline file that does not parse or is not text. Each is one line naming the file the
 * user gave, exit 2, and nothing left behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, serialize, type Cell } from '@nbpipe/nbformat';
import { nbpipe, removeAfterTest, tempDir, tempRepo } from '../helpers.js';

const notebook = (cells: Cell[], metadata = {}) => serialize({ nbformat: 4, nbformat_minor: 5, metadata, cells });
const PAIRED = notebook([codeCell('x = 1', { id: 'a' })], { jupytext: { formats: 'ipynb,py:percent' } });

function folder() {
  const work = tempDir('nbpipe-io-');
  removeAfterTest(work.cleanup);
  return work.dir;
}

describe('reading and writing files', () => {
  it('a directory given, or found as a pair member, is named by strip, sync and pair', () => {
    const dir = folder();
    mkdirSync(join(dir, 'folder.ipynb'));
    for (const args of [
      ['strip', 'folder.ipynb'],
      ['sync', 'folder.ipynb'],
      ['pair', 'folder.ipynb', '--formats', 'ipynb,py:percent'],
    ]) {
      const r = nbpipe(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe('nbpipe: folder.ipynb: is a directory\n');
    }
    writeFileSync(join(dir, 'x.ipynb'), PAIRED);
    mkdirSync(join(dir, 'x.py'));
    for (const args of [
      ['sync', 'x.ipynb'],
      ['pair', 'x.ipynb', '--formats', 'ipynb,py:percent'],
    ]) {
      const r = nbpipe(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe('nbpipe: x.py: is a directory\n');
    }
    expect(readdirSync(dir).sort()).toEqual(['folder.ipynb', 'x.ipynb', 'x.py']);
  });

  it('a write that fails names the file written, not its temporary file', () => {
    const dir = folder();
    writeFileSync(join(dir, 'x.ipynb'), PAIRED);
    writeFileSync(join(dir, 'file'), '');
    mkdirSync(join(dir, 'taken.py'));
    const intoFile = nbpipe(['convert', 'x.ipynb', '--to', 'py:percent', '-o', 'file/y.py'], { cwd: dir });
    expect(intoFile.code).toBe(2);
    expect(intoFile.stderr).toBe('nbpipe: file/y.py: not a directory\n');
    const overFolder = nbpipe(['convert', 'x.ipynb', '--to', 'py:percent', '-o', 'taken.py'], { cwd: dir });
    expect(overFolder.code).toBe(2);
    expect(overFolder.stderr).toBe('nbpipe: taken.py: is a directory\n');
    expect(readdirSync(dir).sort()).toEqual(['file', 'taken.py', 'x.ipynb']);
    expect(readdirSync(join(dir, 'taken.py'))).toEqual([]);
  });

  it("a write killed half-way (the merge driver's, say) leaves a temporary file that the next write there removes", () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    const cells = [codeCell('a = 1', { id: 'a' }), codeCell('b = 1', { id: 'b' })];
    r.write('nb.ipynb', notebook(cells));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'base');
    r.git('checkout', '-q', '-b', 'other');
    r.write('nb.ipynb', notebook([cells[0]!, { ...cells[1]!, source: 'b = 2' }]));
    r.git('commit', '-q', '-am', 'other');
    r.git('checkout', '-q', 'main');
    r.write('nb.ipynb', notebook([{ ...cells[0]!, source: 'a = 2' }, cells[1]!]));
    r.git('commit', '-q', '-am', 'main');
    // What a merge driver killed with SIGKILL mid-write leaves beside git's temporary file; and one still being written.
    const dead = spawnSync('true').pid!;
    const leftover = `..merge_file_AbC123.nbpipe-${dead}-0123abcd.tmp`;
    const inProgress = `.nb.ipynb.nbpipe-${process.pid}-0123abcd.tmp`;
    writeFileSync(join(r.dir, leftover), '');
    writeFileSync(join(r.dir, inProgress), '');
    r.git('merge', '-q', '--no-edit', 'other');
    expect(existsSync(join(r.dir, leftover))).toBe(false);
    expect(existsSync(join(r.dir, inProgress))).toBe(true);
    expect(r.read('nb.ipynb')).toContain('a = 2');
    expect(r.read('nb.ipynb')).toContain('b = 2');
  });

  it('a pipeline file that does not parse: run -e and nb -e write nothing, not even .nbpipe/', () => {
    const dir = folder();
    writeFileSync(join(dir, 'p.yaml'), 'tasks: [\n');
    for (const args of [
      ['run', '-e', 'p.yaml'],
      ['nb', '-e', 'p.yaml', '--inject'],
    ]) {
      const r = nbpipe(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^nbpipe: p\.yaml:2: invalid YAML: [^\n]*\n$/);
      expect(readdirSync(dir), args.join(' ')).toEqual(['p.yaml']);
    }
  });

  it('a binary pipeline or env file: one short line, nothing written', () => {
    const dir = folder();
    const binary = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0\0\0'), Buffer.alloc(4000, 0x01)]);
    writeFileSync(join(dir, 'p.yaml'), binary);
    const r = nbpipe(['run', '-e', 'p.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('nbpipe: p.yaml: not a text file (binary, or not UTF-8)\n');
    writeFileSync(join(dir, 'pipeline.yaml'), 'tasks: []\n');
    writeFileSync(join(dir, 'env.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    const env = nbpipe(['run', '-n'], { cwd: dir });
    expect(env.code).toBe(2);
    expect(env.stderr).toBe('nbpipe: env.yaml: not a text file (binary, or not UTF-8)\n');
    // A text file that is not a pipeline, quoted back in its first problem: a bounded line.
    rmSync(join(dir, 'env.yaml'));
    writeFileSync(join(dir, 'p.yaml'), 'x'.repeat(5000));
    const long = nbpipe(['run', '-e', 'p.yaml'], { cwd: dir });
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/^nbpipe: p\.yaml:1: expected a mapping, got "x{59}…\n$/);
    expect(readdirSync(dir).sort()).toEqual(['p.yaml', 'pipeline.yaml']);
  });
});
