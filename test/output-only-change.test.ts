// A notebook re-run without editing it: only its outputs changed, which the filter strips. When its size changed too,
// git reports it modified without running the filter (its size shortcut), and `git checkout` of another branch refuses;
// `nbpipe refresh` makes git compare it through the filter, staging nothing.
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, run, tempRepo } from './helpers.js';

const notebook = (source: string, output: string) =>
  JSON.stringify(
    {
      cells: [
        {
          cell_type: 'code',
          execution_count: 1,
          id: 'c1',
          metadata: {},
          outputs: [{ name: 'stdout', output_type: 'stream', text: [output] }],
          source: [source],
        },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + '\n';

describe('an output-only change', () => {
  it('that changes the size shows as modified until `nbpipe refresh`, which stages nothing and lets checkout keep the outputs', () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
    r.write('nb.ipynb', notebook('print(total)', '1200\n'));
    r.write('edited.ipynb', notebook('print(mean)', '3.5\n'));
    r.git('add', '.');
    r.git('commit', '-q', '-m', 'first run');
    r.git('checkout', '-q', '-b', 'feature');
    r.write('nb.ipynb', notebook('print(total * 2)', '2400\n'));
    r.git('commit', '-q', '-am', 'double');
    r.git('checkout', '-q', 'main');
    const blob = r.git('rev-parse', ':nb.ipynb').stdout;

    // Re-run: new outputs, longer; and a real edit elsewhere, which must stay visible.
    const rerun = notebook('print(total)', '1200 (in euros, as of today)\n');
    r.write('nb.ipynb', rerun);
    r.write('edited.ipynb', notebook('print(median)', '3.5\n'));
    expect(r.git('status', '--porcelain').stdout).toBe(' M edited.ipynb\n M nb.ipynb\n');
    // git refuses to switch rather than lose the outputs.
    expect(run('git', ['checkout', 'feature'], { cwd: r.dir, allowFailure: true }).stderr).toMatch(
      /would be overwritten by checkout:\n\s+nb\.ipynb/,
    );
    expect(r.read('nb.ipynb')).toBe(rerun);

    const refreshed = nbpipe(['refresh'], { cwd: r.dir });
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toBe('nb.ipynb: only stripped content (outputs) changed; no longer shown as modified\n');
    expect(r.git('status', '--porcelain').stdout).toBe(' M edited.ipynb\n');
    expect(r.git('diff', '--cached', '--name-only').stdout).toBe('');
    expect(r.git('rev-parse', ':nb.ipynb').stdout).toBe(blob);
    expect(r.read('nb.ipynb')).toBe(rerun);

    // Now checkout switches, and coming back gives the re-run's outputs back (the filter kept them).
    r.git('checkout', '-q', 'feature');
    expect(r.read('nb.ipynb')).toContain('total * 2');
    r.git('checkout', '-q', 'main');
    expect(r.read('nb.ipynb')).toBe(rerun);
    expect(r.git('status', '--porcelain').stdout).toBe(' M edited.ipynb\n');
  });
});
