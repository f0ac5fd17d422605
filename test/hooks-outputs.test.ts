// The pre-commit hook and the filter's output cache together: a notebook the hook syncs and stages keeps its
// outputs through `git checkout --` and `git stash`, and what it stages is exactly the working copy, stripped.
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, tempRepo } from './helpers.js';

const cell = (id: string, source: string, output?: string) => ({
  cell_type: 'code',
  execution_count: output ? 1 : null,
  id,
  metadata: {},
  outputs: output ? [{ name: 'stdout', output_type: 'stream', text: [output] }] : [],
  source: [source],
});

const EXECUTED =
  JSON.stringify(
    {
      cells: [
        { cell_type: 'markdown', id: 'a1f3c2d4', metadata: {}, source: ['# Totals per region'] },
        cell('b2e4d6f8', "sales = {'north': 1200}\nprint(len(sales))", '1\n'),
        cell('c3f5e7a9', 'total = sum(sales.values())\nprint(total)', '1200\n'),
      ],
      metadata: {
        kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
        language_info: { name: 'python' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + '\n';

const outputCounts = (text: string) =>
  (JSON.parse(text).cells as { outputs?: unknown[] }[]).map((c) => (c.outputs ?? []).length);

describe('a notebook staged by the pre-commit hook', () => {
  it('keeps its outputs through checkout and stash, and its staged blob is the stripped working copy', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    r.write('nb.ipynb', EXECUTED);
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'executed notebook');
    expect(nbpipe(['pair', 'nb.ipynb', '--formats', 'ipynb,py:percent'], { cwd: r.dir }).code).toBe(0);
    r.git('add', 'nb.ipynb', 'nb.py');
    r.git('commit', '-q', '-m', 'pair');

    // Edit only the script's markdown and commit only it: the hook syncs and stages the notebook.
    r.write('nb.py', r.read('nb.py').replace('# # Totals per region', '# # Totals and shares per region'));
    r.git('add', 'nb.py');
    expect(r.git('commit', '-q', '-m', 'describe').stderr).toMatch(/synced from nb\.py, staged nb\.ipynb/);
    expect(r.git('show', 'HEAD:nb.ipynb').stdout).toContain('Totals and shares');
    const synced = r.read('nb.ipynb');
    expect(outputCounts(synced)).toEqual([0, 1, 1]);
    expect(JSON.parse(synced).cells.map((c: { id: string }) => c.id)).toEqual(['a1f3c2d4', 'b2e4d6f8', 'c3f5e7a9']);

    // Discarding an edit checks the committed blob out: its outputs come back from the cache. (Before anything
    // else runs git's clean filter on the working copy, which would register it as a side effect.)
    r.write('nb.ipynb', synced.replace("'north': 1200", "'north': 1250"));
    r.git('checkout', '--', 'nb.ipynb');
    expect(r.read('nb.ipynb')).toBe(synced);
    // The staged blob is the working copy stripped: nothing shows as changed.
    expect(r.git('status', '--porcelain').stdout).toBe('');
    expect(r.git('diff').stdout).toBe('');

    // A later edit diffs as just that edit: the committed side is smudged back with this clone's ids and outputs.
    r.write('nb.ipynb', synced.replace("'north': 1200", "'north': 1250"));
    const diff = r.git('diff', 'nb.ipynb').stdout;
    expect(diff).toMatch(/^-sales = \{'north': 1200\}$/m);
    expect(diff).toMatch(/^\+sales = \{'north': 1250\}$/m);
    expect(diff).not.toMatch(/a1f3c2d4|b2e4d6f8|output/);

    // A stash round trip, with the notebook edited and then without.
    r.git('stash', '-q');
    expect(r.read('nb.ipynb')).toBe(synced);
    r.git('stash', 'pop', '-q');
    expect(outputCounts(r.read('nb.ipynb'))).toEqual([0, 1, 1]);
    r.git('checkout', '--', 'nb.ipynb');
    expect(r.read('nb.ipynb')).toBe(synced);
    r.write('nb.py', r.read('nb.py') + '\n# %%\nprint("later")\n');
    r.git('stash', '-q');
    expect(r.read('nb.ipynb')).toBe(synced);
    r.git('stash', 'pop', '-q');
    expect(r.read('nb.ipynb')).toBe(synced);
  });
});
