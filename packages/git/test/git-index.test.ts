import { execFileSync } from 'node:child_process';
import { lutimesSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_BLOB_OID, gitBlobHash, hashFileAsBlob } from '../src/blob-hash.js';
import { parseIndex, readHead, WorktreeHasher } from '../src/git-index.js';
import { tempDir } from '@nbpipe/test-support';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function repo() {
  const { dir, cleanup } = tempDir('nbpipe-index-');
  cleanups.push(cleanup);
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 'T');
  const handle = { dir, git, repo: { root: dir, gitDir: join(dir, '.git'), commonDir: join(dir, '.git') } };
  return handle;
}

/** Write a file whose mtime is in the past, so git's index will not consider it racily clean. */
function writeOld(dir: string, path: string, content: string | Buffer) {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), content);
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(dir, path), past, past);
}

describe('gitBlobHash', () => {
  it('is the empty blob id for no content', () => {
    expect(gitBlobHash('')).toBe(EMPTY_BLOB_OID);
  });

  it('equals `git hash-object` for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = execFileSync('git', ['hash-object', '--stdin', '--no-filters'], {
          input: bytes,
          encoding: 'utf8',
        }).trim();
        expect(gitBlobHash(bytes)).toBe(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('hashes a file in chunks, larger than one chunk, like git', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');
    writeFileSync(join(dir, 'big'), big);
    expect(hashFileAsBlob(join(dir, 'big'))).toBe(
      execFileSync('git', ['hash-object', '--no-filters', join(dir, 'big')], { encoding: 'utf8' }).trim(),
    );
    expect(hashFileAsBlob(join(dir, 'missing'))).toBeUndefined();
  });
});

describe('parseIndex', () => {
  for (const version of [2, 3, 4]) {
    it(`reads index version ${version} like git ls-files -s`, () => {
      const r = repo();
      for (const path of ['a.txt', 'dir/b.py', 'dir/sub/c with space.ipynb', 'dir/sub/d.txt', 'é.md'])
        writeOld(r.dir, path, `content of ${path}\n`);
      r.git('add', '.');
      if (version === 3) {
        writeOld(r.dir, 'new.txt', 'intent\n');
        r.git('add', '-N', 'new.txt'); // intent-to-add uses extended flags (version 3)
      }
      r.git('update-index', '--index-version', String(version));
      const index = parseIndex(readFileSync(join(r.dir, '.git/index')));
      expect(index.version).toBe(version);
      const expected = r.git('-c', 'core.quotePath=false', 'ls-files', '-s').trim().split('\n');
      const actual = [...index.entries.values()].map((e) => `${e.mode.toString(8)} ${e.oid} ${e.stage}\t${e.path}`);
      expect(actual).toEqual(expected);
      if (version === 3) expect(index.entries.get('new.txt')!.special).toBe(true);
    });
  }
});

describe('WorktreeHasher', () => {
  it('takes clean files from the index, hashes changed ones, and matches git', () => {
    const r = repo();
    writeOld(r.dir, 'clean.txt', 'same\n');
    writeOld(r.dir, 'edited.txt', 'before\n');
    writeOld(r.dir, 'touched.txt', 'same size\n');
    symlinkSync('clean.txt', join(r.dir, 'link'));
    lutimesSync(join(r.dir, 'link'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'init');
    writeFileSync(join(r.dir, 'edited.txt'), 'after, longer\n');
    // Same size and mtime, new content: only the ctime and the content tell.
    writeFileSync(join(r.dir, 'touched.txt'), 'SAME SIZE\n');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(r.dir, 'touched.txt'), past, past);
    writeFileSync(join(r.dir, 'untracked.txt'), 'new\n');

    const hasher = new WorktreeHasher(r.repo);
    const hash = (p: string) => hasher.hash(join(r.dir, p));
    const gitHash = (p: string) => r.git('hash-object', '--no-filters', p).trim();
    expect(hash('clean.txt')).toMatchObject({ type: 'file', oid: gitHash('clean.txt'), fromIndex: true });
    expect(hash('edited.txt')).toMatchObject({ type: 'file', oid: gitHash('edited.txt'), fromIndex: false });
    expect(hash('touched.txt')).toMatchObject({ type: 'file', oid: gitHash('touched.txt'), fromIndex: false });
    expect(hash('untracked.txt')).toMatchObject({ type: 'file', oid: gitHash('untracked.txt'), fromIndex: false });
    expect(hash('link')).toMatchObject({
      type: 'file',
      oid: r.git('ls-files', '-s', 'link').split(' ')[1],
      fromIndex: true,
    });
    expect(hash('nope')).toBeUndefined();
    expect(hash('.git')).toEqual({ type: 'directory' });
  });

  it('reuses a remembered hash only while the stat data is unchanged and old enough', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeOld(dir, 'f.txt', 'one\n');
    const first = new WorktreeHasher(undefined).hash(join(dir, 'f.txt'));
    expect(first).toMatchObject({ type: 'file', oid: gitBlobHash('one\n') });
    const stamp = first?.type === 'file' ? first.stamp : undefined;
    expect(stamp).toBeDefined();
    // A remembered (deliberately wrong) id is trusted while the stamp matches: no read.
    expect(new WorktreeHasher(undefined).hash(join(dir, 'f.txt'), { oid: 'remembered', stamp: stamp! })).toMatchObject({
      oid: 'remembered',
    });
    writeFileSync(join(dir, 'f.txt'), 'two\n');
    const fresh = new WorktreeHasher(undefined).hash(join(dir, 'f.txt'), { oid: 'remembered', stamp: stamp! });
    // Just written: hashed, and too recent to be given a stamp.
    expect(fresh).toEqual({ type: 'file', oid: gitBlobHash('two\n'), stamp: undefined, fromIndex: false });
  });

  it('reads HEAD: the branch and its commit, also from packed refs', () => {
    const r = repo();
    expect(readHead(r.repo)).toEqual({ branch: 'main', commit: undefined });
    writeOld(r.dir, 'a', 'a');
    r.git('add', 'a');
    r.git('commit', '-q', '-m', 'a');
    const commit = r.git('rev-parse', 'HEAD').trim();
    expect(readHead(r.repo)).toEqual({ branch: 'main', commit });
    r.git('pack-refs', '--all');
    expect(readHead(r.repo)).toEqual({ branch: 'main', commit });
    r.git('checkout', '-q', '--detach');
    expect(readHead(r.repo)).toEqual({ commit });
  });
});
