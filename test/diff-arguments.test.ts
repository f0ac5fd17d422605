import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, serialize } from '@nbpipe/nbformat';
import { nbpipe, removeAfterTest, tempRepo } from './helpers.js';

const notebook = (source: string) =>
  serialize({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [codeCell(source, { id: 'c1' })] });

function repo() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  r.write('good.ipynb', notebook('x = 1'));
  r.write('gone.ipynb', notebook('y = 1'));
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'notebooks');
  return r;
}

describe('nbpipe diff arguments in a repository', () => {
  it('a missing file that git does not know is an error naming it, not an empty pathspec', () => {
    const r = repo();
    for (const args of [['missing.ipynb', 'good.ipynb'], ['good.ipynb', 'missing.ipynb'], ['missing.ipynb']]) {
      const result = nbpipe(['diff', '--exit-code', ...args], { cwd: r.dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toBe('nbpipe: missing.ipynb: no such file, nor a path or ref known to git\n');
    }
  });

  it('paths known to git (deleted, globs, folders) and refs stay pathspecs', () => {
    const r = repo();
    rmSync(join(r.dir, 'gone.ipynb'));
    r.write('good.ipynb', notebook('x = 2'));
    const deleted = nbpipe(['diff', '--exit-code', 'gone.ipynb', 'good.ipynb'], { cwd: r.dir });
    expect(deleted.code, deleted.stderr).toBe(1);
    expect(deleted.stdout).toContain('gone.ipynb');
    expect(nbpipe(['diff', '--exit-code', '*.ipynb'], { cwd: r.dir }).code).toBe(1);
    expect(nbpipe(['diff', '--exit-code', 'main', '.'], { cwd: r.dir }).code).toBe(1);
  });
});
