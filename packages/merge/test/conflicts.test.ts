import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeCell, emptyNotebook, serialize } from '@nbpipe/nbformat';
import { conflictMarkerLines, describeConflict, findFileConflicts, mergeText } from '@nbpipe/merge';

describe('conflictMarkerLines', () => {
  it('gives one line per conflict block, and a closing marker left alone', () => {
    const text =
      '# Title\n=======\n<<<<<<< HEAD\nx = 2\n=======\nx = 3\n>>>>>>> other\ny = 1\n>>>>>>> other\n<<<<<<<not a marker\n';
    expect(conflictMarkerLines(text)).toEqual([3, 9]);
    expect(conflictMarkerLines('<<<<<<<<< HEAD\n', { markerSize: 9 })).toEqual([1]);
  });

  it("finds each block of git's text merge where it starts, whatever the lines around it", () => {
    const line = fc.stringMatching(/^[a-z =<>]{0,12}$/).filter((l) => !/^(<{7}|>{7})( |$)/.test(l));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(line, { maxLength: 8 }), (before, after) => {
        const merged = mergeText('x = 1\n', 'x = 2\n', 'x = 3\n', { localLabel: 'HEAD', remoteLabel: 'other' }).text;
        const text = [...before, merged.trimEnd(), ...after].join('\n');
        expect(conflictMarkerLines(text)).toEqual([before.length + 1]);
      }),
    );
  });
});

describe('findFileConflicts', () => {
  const marked = serialize({
    ...emptyNotebook(),
    cells: [codeCell('<<<<<<< HEAD\nx = 2\n=======\nx = 3\n>>>>>>> other', { id: 'c0' })],
  });

  it('reads a notebook by cell, a text or a notebook git merged as text by line', () => {
    expect(findFileConflicts('a.ipynb', marked).map(describeConflict)).toEqual([
      'cell 0 (source): conflict markers in the source (line 1)',
    ]);
    expect(
      findFileConflicts('a.py', '# %%\n<<<<<<< HEAD\nx = 2\n=======\nx = 3\n>>>>>>> other\n').map(describeConflict),
    ).toEqual(['line 2: conflict markers']);
    expect(
      findFileConflicts('a.ipynb', '{\n<<<<<<< HEAD\n "a": 1\n=======\n "a": 2\n>>>>>>> other\n}\n').map(
        describeConflict,
      ),
    ).toEqual(['line 2: git text conflict markers (not a notebook until resolved)']);
  });

  it('finds nothing in a resolved file, and reports a notebook broken otherwise as the reader does', () => {
    expect(
      findFileConflicts('a.ipynb', serialize({ ...emptyNotebook(), cells: [codeCell('x = 2', { id: 'c0' })] })),
    ).toEqual([]);
    expect(findFileConflicts('a.md', 'Title\n=======\n\n> > quoted\n')).toEqual([]);
    expect(() => findFileConflicts('a.ipynb', '{ not json\n')).toThrow(/a\.ipynb: invalid JSON/);
  });
});
