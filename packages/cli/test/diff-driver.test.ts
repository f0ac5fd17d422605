import { describe, expect, it } from 'vitest';
import { parseExternalDiffArgs } from '../src/commands/diff-driver.js';

describe('parseExternalDiffArgs', () => {
  it('reads a modification', () => {
    expect(
      parseExternalDiffArgs(['a.ipynb', '/tmp/git-blob-x/a.ipynb', 'abc', '100644', 'a.ipynb', '0000', '100644']),
    ).toEqual({
      kind: 'diff',
      path: 'a.ipynb',
      oldFile: '/tmp/git-blob-x/a.ipynb',
      oldOid: 'abc',
      newFile: 'a.ipynb',
      newOid: '0000',
      newPath: undefined,
    });
  });

  it('treats /dev/null as the missing side of an addition or deletion', () => {
    const added = parseExternalDiffArgs(['n.ipynb', '/dev/null', '.', '.', 'n.ipynb', 'abc', '100644']);
    expect(added).toMatchObject({
      kind: 'diff',
      oldFile: undefined,
      oldOid: undefined,
      newFile: 'n.ipynb',
      newOid: 'abc',
    });
    const deleted = parseExternalDiffArgs(['d.ipynb', '/tmp/x/d.ipynb', 'abc', '100644', '/dev/null', '.', '.']);
    expect(deleted).toMatchObject({ kind: 'diff', oldFile: '/tmp/x/d.ipynb', newFile: undefined });
  });

  it('reads the rename form and the unmerged form, and rejects other counts', () => {
    const renamed = parseExternalDiffArgs([
      'b.ipynb',
      'o',
      'h',
      '100644',
      'n',
      'h',
      '100644',
      'c.ipynb',
      'similarity index 100%\n',
    ]);
    expect(renamed).toMatchObject({ path: 'b.ipynb', newPath: 'c.ipynb' });
    expect(parseExternalDiffArgs(['u.ipynb'])).toEqual({ kind: 'unmerged', path: 'u.ipynb' });
    expect(parseExternalDiffArgs(['a', 'b'])).toBeUndefined();
  });
});
