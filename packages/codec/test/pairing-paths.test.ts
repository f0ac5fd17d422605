import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatPairing, pairedPaths, parsePairing, PairingError } from '../src/pairing/index.js';

const paths = (path: string, formats: string, options = {}) =>
  pairedPaths(path, parsePairing(formats), options).map((m) => m.path);

describe('parsePairing / formatPairing', () => {
  it('reads prefixes, suffixes, tree roots and format names, and writes them back in the short form', () => {
    const cases = [
      'ipynb,py:percent',
      'ipynb,md,py:light',
      'ipynb,.pct.py:percent,.lgt.py:light',
      'notebooks///ipynb,scripts///py:percent',
      'ipynb,scripts//py:percent',
      'notebook_folder/notebook_prefix_/_notebook_suffix.ipynb,script_folder//_in_percent_format.py:percent',
      'ipynb,auto:percent',
    ];
    for (const text of cases) expect(formatPairing(parsePairing(text))).toBe(text);
    expect(parsePairing('notebooks///ipynb,scripts///py:percent')).toEqual([
      { extension: '.ipynb', prefix: 'notebooks//' },
      { extension: '.py', formatName: 'percent', prefix: 'scripts//' },
    ]);
    expect(parsePairing(' ipynb , .pct.py:percent ,')).toEqual([
      { extension: '.ipynb' },
      { extension: '.py', formatName: 'percent', suffix: '.pct' },
    ]);
  });

  it('names the pairing in errors', () => {
    expect(() => parsePairing('ipynb,py:nosuch')).toThrow(PairingError);
    expect(() => parsePairing('ipynb,py:nosuch')).toThrow(/ipynb,py:nosuch/);
  });
});

describe('pairedPaths', () => {
  it('pairs files side by side', () => {
    expect(paths('nb.ipynb', 'ipynb,py:percent')).toEqual(['nb.ipynb', 'nb.py']);
    expect(paths('dir/nb.py', 'ipynb,py:percent')).toEqual(['dir/nb.ipynb', 'dir/nb.py']);
    expect(paths('/a/b/nb.md', 'ipynb,md,py:light')).toEqual(['/a/b/nb.ipynb', '/a/b/nb.md', '/a/b/nb.py']);
  });

  it('pairs with a sub-folder (scripts//py)', () => {
    expect(paths('Untitled.ipynb', 'ipynb,python//py:percent')).toEqual(['Untitled.ipynb', 'python/Untitled.py']);
    expect(paths('python/Untitled.py', 'ipynb,python//py:percent')).toEqual(['Untitled.ipynb', 'python/Untitled.py']);
  });

  it('combines folders, file-name prefixes and suffixes', () => {
    const formats =
      'notebook_folder/notebook_prefix_/_notebook_suffix.ipynb,script_folder//_in_percent_format.py:percent';
    const pair = [
      'notebook_folder/notebook_prefix_NAME_notebook_suffix.ipynb',
      'script_folder/NAME_in_percent_format.py',
    ];
    expect(paths(pair[0]!, formats)).toEqual(pair);
    expect(paths(pair[1]!, formats)).toEqual(pair);
    // A single slash is a file-name prefix, not a folder (jupytext's pitfall).
    expect(paths('nb.ipynb', 'ipynb,scripts/py')).toEqual(['nb.ipynb', 'scriptsnb.py']);
    expect(paths('nb.ipynb', 'ipynb,dir/pre_/py')).toEqual(['nb.ipynb', 'dir/pre_nb.py']);
  });

  it('tells suffixed members of the same extension apart', () => {
    const formats = 'ipynb,.pct.py:percent,.lgt.py:light';
    const all = ['nb.ipynb', 'nb.pct.py', 'nb.lgt.py'];
    for (const p of all) expect(paths(p, formats)).toEqual(all);
  });

  it('pairs trees, replacing the root folder closest to the file, not above the ceiling', () => {
    const formats = 'notebooks///ipynb,scripts///py:percent';
    expect(paths('/repo/notebooks/sub/nb.ipynb', formats)).toEqual([
      '/repo/notebooks/sub/nb.ipynb',
      '/repo/scripts/sub/nb.py',
    ]);
    expect(paths('/repo/scripts/sub/deep/nb.py', formats)).toEqual([
      '/repo/notebooks/sub/deep/nb.ipynb',
      '/repo/scripts/sub/deep/nb.py',
    ]);
    expect(paths('/x/notebooks/y/notebooks/nb.ipynb', formats)).toEqual([
      '/x/notebooks/y/notebooks/nb.ipynb',
      '/x/notebooks/y/scripts/nb.py',
    ]);
    expect(() => paths('/notebooks/repo/nb.ipynb', formats, { ceiling: '/notebooks/repo' })).toThrow(
      /under a folder named "notebooks"/,
    );
    expect(() => paths('/repo/other/nb.ipynb', formats)).toThrow(PairingError);
  });

  it('pairs with a sibling folder from the notebook, and explains why not from the script', () => {
    expect(paths('/p/nbs/x.ipynb', 'ipynb,../scripts//py:percent')).toEqual(['/p/nbs/x.ipynb', '/p/scripts/x.py']);
    expect(() => paths('/p/scripts/x.py', 'ipynb,../scripts//py:percent')).toThrow(
      /climbs out of a folder whose name is unknown/,
    );
    expect(paths('/p/scripts/x.py', '../notebooks//ipynb,../scripts//py:percent')).toEqual([
      '/p/notebooks/x.ipynb',
      '/p/scripts/x.py',
    ]);
  });

  it('rejects paths outside the pairing, duplicates, and trees mixed with plain formats', () => {
    expect(() => paths('nb.R', 'ipynb,py:percent')).toThrow(/not one of the files of the pairing "ipynb,py:percent"/);
    expect(() => paths('nb.ipynb', 'ipynb,py:percent,py:light')).toThrow(/same path nb\.py/);
    expect(() => paths('/r/notebooks/nb.ipynb', 'notebooks///ipynb,py:percent')).toThrow(
      /root in all of them or in none/,
    );
  });

  it('uses the format name to pick among members of the same extension', () => {
    expect(
      pairedPaths('nb.py', parsePairing('ipynb,py:percent'), { formatName: 'percent' }).find((m) => m.path === 'nb.py')!
        .format.formatName,
    ).toBe('percent');
  });

  it('gives the same pair from every member (property)', () => {
    const folder = fc.constantFrom('', 'a/', 'a/b/', 'notebooks/x/');
    const layout = fc.constantFrom(
      'ipynb,py:percent',
      'ipynb,scripts//py:percent,md',
      'ipynb,.pct.py:percent,.lgt.py:light',
      'nb_/ipynb,pre_/_suf.py:percent',
      'notebooks///ipynb,scripts///py:percent',
      'ipynb,../scripts//py:percent,../md//md',
    );
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(folder, layout, name, (dir, formats, stem) => {
        const first = parsePairing(formats)[0]!;
        const prefix = first.prefix ? (first.prefix.includes('//') ? '' : first.prefix.replace(/[^/]*$/, '')) : '';
        const filePrefix = first.prefix ? first.prefix.replace(/^.*\//, '') : '';
        const start = `/root/notebooks/${dir}${prefix}${filePrefix}${stem}${first.suffix ?? ''}${first.extension}`;
        let pair: string[];
        try {
          pair = paths(start, formats);
        } catch (e) {
          if (e instanceof PairingError) return; // e.g. ../ prefixes from a member that climbed
          throw e;
        }
        for (const member of pair) {
          try {
            expect(paths(member, formats)).toEqual(pair);
          } catch (e) {
            if (!(e instanceof PairingError && /unknown/.test(e.message))) throw e;
          }
        }
        expect(new Set(pair).size).toBe(pair.length);
      }),
    );
  });
});
