import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeText } from '@nbpipe/merge';

/** `git merge-file -p local base remote`, the reference our line merge follows. */
function gitMergeFile(base: string, local: string, remote: string): { text: string; conflicts: number } {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-merge-file-'));
  try {
    for (const [name, text] of Object.entries({ base, local, remote })) writeFileSync(join(dir, name), text);
    const r = spawnSync('git', ['merge-file', '-p', 'local', 'base', 'remote'], { cwd: dir, encoding: 'utf8' });
    if (r.status === null || r.status < 0) throw new Error(r.stderr);
    return { text: r.stdout, conflicts: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mergeText', () => {
  it('takes one-sided and identical changes without conflict', () => {
    expect(mergeText('a\nb\nc\n', 'A\nb\nc\n', 'a\nb\nc\n')).toEqual({ text: 'A\nb\nc\n', conflicts: 0 });
    expect(mergeText('a\nb\nc\n', 'a\nb\nc\n', 'a\nb\nC\n')).toEqual({ text: 'a\nb\nC\n', conflicts: 0 });
    expect(mergeText('a\nb\nc\n', 'a\nB\nc\n', 'a\nB\nc\n')).toEqual({ text: 'a\nB\nc\n', conflicts: 0 });
  });

  it('applies edits of both sides to different lines', () => {
    const base = 'one\ntwo\nthree\nfour\nfive\nsix';
    expect(mergeText(base, 'ONE\ntwo\nthree\nfour\nfive\nsix', 'one\ntwo\nthree\nfour\nfive\nSIX')).toEqual({
      text: 'ONE\ntwo\nthree\nfour\nfive\nSIX',
      conflicts: 0,
    });
  });

  it('writes git-style markers around overlapping edits, without a final newline when the source had none', () => {
    // nbdime's expected result for inline-conflict--1/2/3.
    const result = mergeText(
      'x = 1\ny = 3\nprint(x * y)',
      'x = 1\ny = 3\nz = 4\nprint(x * y / z)',
      'x = 1\nq = 3.1\nprint(x + q)',
    );
    expect(result).toEqual({
      text: 'x = 1\n<<<<<<< local\ny = 3\nz = 4\nprint(x * y / z)\n=======\nq = 3.1\nprint(x + q)\n>>>>>>> remote',
      conflicts: 1,
    });
  });

  it('uses the marker size and labels it is given', () => {
    const { text } = mergeText('a\n', 'b\n', 'c\n', { markerSize: 9, localLabel: 'HEAD', remoteLabel: 'feature' });
    expect(text).toBe('<<<<<<<<< HEAD\nb\n=========\nc\n>>>>>>>>> feature\n');
  });

  it('keeps lines both sides agree on outside the markers', () => {
    expect(mergeText('a\nb\nc\n', '1\nb\nc\n2\n', '1\nX\nc\n2\n').text).toBe(
      '1\n<<<<<<< local\nb\n=======\nX\n>>>>>>> remote\nc\n2\n',
    );
  });

  it('joins conflicts separated by three lines or fewer, as git does', () => {
    const joined = mergeText('a\nb\nc\nd\ne\n', 'A\nb\nc\nd\nE\n', 'Q\nb\nc\nd\nZ\n');
    expect(joined).toEqual({
      text: '<<<<<<< local\nA\nb\nc\nd\nE\n=======\nQ\nb\nc\nd\nZ\n>>>>>>> remote\n',
      conflicts: 1,
    });
    expect(mergeText('a\nb\nc\nd\ne\nf\n', 'A\nb\nc\nd\ne\nF\n', 'Q\nb\nc\nd\ne\nZ\n').conflicts).toBe(2);
  });

  it('treats edits of adjacent lines as a conflict, like git', () => {
    expect(mergeText('a\nb\nc\nd\n', 'A\nb\nc\nd\n', 'a\nB\nc\nd\n').conflicts).toBe(1);
    expect(mergeText('a\nb\n', 'a\nb\nL\n', 'a\nb\nR\n').text).toBe(
      'a\nb\n<<<<<<< local\nL\n=======\nR\n>>>>>>> remote\n',
    );
  });

  it('marks a deletion against an edit', () => {
    expect(mergeText('a\nb\nc\n', 'a\nc\n', 'a\nB\nc\n').text).toBe(
      'a\n<<<<<<< local\n=======\nB\n>>>>>>> remote\nc\n',
    );
  });

  const cases: [string, string, string][] = [
    ['a\nb\nc\nd\n', 'A\nb\nc\nd\n', 'a\nB\nc\nd\n'],
    ['a\nb\nc\nd\ne\n', 'a\nX\nc\nd\ne\n', 'a\nX\nc\nY\ne\n'],
    ['a\nb\n', 'a\nb\nL\n', 'a\nb\nR\n'],
    ['a\nb\nc\nd\ne\nf\n', 'A\nb\nc\nd\ne\nF\n', 'Q\nb\nc\nd\ne\nZ\n'],
    ['a\nb\nc\n', '1\nb\nc\n2\n', '1\nX\nc\n2\n'],
    ['a\nb\nc\nd\ne\n', 'A\nb\nc\nd\nE\n', 'Q\nb\nc\nd\nZ\n'],
    [
      'test\nhello\nmore\ntext\nworld\n',
      'test 2\nhello 2\nmore\ntext 2\nworld 2\n',
      'test 3\nhello 3\nmore\ntext 3\nworld 3\n',
    ],
    ['def f(x):\n    return x\n\nf(1)\n', 'def f(x):\n    return x + 1\n\nf(1)\n', 'def f(x):\n    return x\n\nf(2)\n'],
  ];
  it.each(cases)('matches git merge-file on %j', (base, local, remote) => {
    const git = gitMergeFile(base, local, remote);
    const ours = mergeText(base, local, remote);
    expect(ours.text).toBe(git.text);
    expect(ours.conflicts).toBe(git.conflicts);
  });
});
