import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

function repo() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  return r;
}

/** Environment with a throw-away home, so --global never touches the real user config. */
function fakeHome() {
  const home = tempDir('nbpipe-home-');
  removeAfterTest(home.cleanup);
  return {
    home: home.dir,
    env: {
      HOME: home.dir,
      XDG_CONFIG_HOME: join(home.dir, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: undefined,
    },
  };
}

const ATTRIBUTE_LINE = '*.ipynb diff=nbpipe merge=nbpipe';

describe('nbpipe install / uninstall (repository)', () => {
  it('installs the drivers, is idempotent, and uninstalls back to the exact bytes', () => {
    const r = repo();
    const configBefore = r.read('.git/config');

    const first = nbpipe(['install'], { cwd: r.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(r.read('.gitattributes')).toContain(ATTRIBUTE_LINE);
    expect(r.git('config', 'merge.nbpipe.driver').stdout).toContain('merge-driver');
    expect(r.git('config', 'diff.nbpipe.command').stdout).toContain('diff-driver');
    expect(r.git('config', 'diff.nbpipe.textconv').stdout).toContain('textconv');
    expect(r.git('check-attr', 'diff', 'merge', '--', 'sub/x.ipynb').stdout).toBe(
      'sub/x.ipynb: diff: nbpipe\nsub/x.ipynb: merge: nbpipe\n',
    );

    const config = r.read('.git/config');
    const attributes = r.read('.gitattributes');
    const second = nbpipe(['install'], { cwd: r.dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('');
    expect(second.stderr).toContain('already installed');
    expect(r.read('.git/config')).toBe(config);
    expect(r.read('.gitattributes')).toBe(attributes);

    const removed = nbpipe(['uninstall'], { cwd: r.dir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(r.read('.git/config')).toBe(configBefore);
    expect(existsSync(join(r.dir, '.gitattributes'))).toBe(false);
    const again = nbpipe(['uninstall'], { cwd: r.dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('was not installed');
  });

  it('--no-filter installs the drivers without the output-stripping filter, and removes one installed before', () => {
    const r = repo();
    const hasFilter = () =>
      r.git('config', '--get-regexp', '^filter\\.nbpipe\\.').stdout !== '' ||
      r.read('.gitattributes').includes('filter=nbpipe');
    expect(nbpipe(['install', '--no-filter', '--hooks', 'none'], { cwd: r.dir }).code).toBe(0);
    expect(r.git('config', 'diff.nbpipe.command').stdout).toContain('diff-driver');
    expect(
      run('git', ['config', '--get-regexp', '^filter\\.nbpipe\\.'], { cwd: r.dir, allowFailure: true }).stdout,
    ).toBe('');
    expect(r.read('.gitattributes')).not.toContain('filter=nbpipe');
    // Left out on purpose, the filter is not "broken"; half of it is.
    const doctor = nbpipe(['doctor'], { cwd: r.dir });
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/output-stripping filter: none \(optional/);
    r.git('config', 'filter.nbpipe.smudge', 'cat');
    const half = nbpipe(['doctor'], { cwd: r.dir });
    expect(half.code).toBe(1);
    expect(half.stdout).toMatch(/broken {2}strip outputs/);
    r.git('config', '--unset', 'filter.nbpipe.smudge');

    expect(nbpipe(['install', '--hooks', 'none'], { cwd: r.dir }).code).toBe(0);
    expect(hasFilter()).toBe(true);
    const withoutFilter = nbpipe(['install', '--no-filter', '--hooks', 'none'], { cwd: r.dir });
    expect(withoutFilter.code, withoutFilter.stderr).toBe(0);
    expect(
      run('git', ['config', '--get-regexp', '^filter\\.nbpipe\\.'], { cwd: r.dir, allowFailure: true }).stdout,
    ).toBe('');
    expect(r.read('.gitattributes')).not.toContain('filter=nbpipe');
    expect(r.git('config', 'merge.nbpipe.driver').stdout).toContain('merge-driver');
  });

  it("keeps the user's own attribute lines and config, and works from a subfolder", () => {
    const r = repo();
    const userAttributes = '*.png binary\n# notebooks under docs are plain JSON\ndocs/*.ipynb -diff\n';
    r.write('.gitattributes', userAttributes);
    r.git('config', 'merge.tool', 'meld');
    r.git('config', 'diff.nbpipe.wordRegex', '[^[:space:]]+');
    const configBefore = r.read('.git/config');
    mkdirSync(join(r.dir, 'a/b'), { recursive: true });

    const installed = nbpipe(['install'], { cwd: join(r.dir, 'a/b') });
    expect(installed.code, installed.stderr).toBe(0);
    expect(r.read('.gitattributes').startsWith(userAttributes)).toBe(true);
    expect(existsSync(join(r.dir, 'a/b/.gitattributes'))).toBe(false);

    const removed = nbpipe(['uninstall'], { cwd: join(r.dir, 'a') });
    expect(removed.code, removed.stderr).toBe(0);
    expect(r.read('.gitattributes')).toBe(userAttributes);
    expect(r.read('.git/config')).toBe(configBefore);
    expect(r.git('config', 'diff.nbpipe.wordRegex').stdout.trim()).toBe('[^[:space:]]+');
    // A last line without its newline stays so.
    r.write('.gitattributes', '*.png binary');
    expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
    expect(r.git('check-attr', 'diff', '--', 'x.ipynb').stdout).toBe('x.ipynb: diff: nbpipe\n');
    expect(nbpipe(['uninstall'], { cwd: r.dir }).code).toBe(0);
    expect(r.read('.gitattributes')).toBe('*.png binary');
  });

  it('refuses a repository install outside a repository with one line and exit 2', () => {
    const { dir, cleanup } = tempDir();
    removeAfterTest(cleanup);
    const { env } = fakeHome();
    const r = nbpipe(['install'], { cwd: dir, env: { ...process.env, ...env, GIT_CEILING_DIRECTORIES: dir } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not inside a git working tree/);
  });

  it('prints nothing with -q when all goes well, and still reports an error', () => {
    const r = repo();
    const installed = nbpipe(['install', '-q'], { cwd: r.dir });
    expect(installed).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(r.git('config', 'diff.nbpipe.command').stdout).toContain('diff-driver');
    expect(r.read('.gitattributes')).toContain(ATTRIBUTE_LINE);
    expect(nbpipe(['install', '-q', '--hooks', 'none'], { cwd: r.dir })).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(nbpipe(['uninstall', '-q'], { cwd: r.dir })).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(r.dir, '.gitattributes'))).toBe(false);
    // Without -q the changes are listed.
    expect(nbpipe(['install'], { cwd: r.dir }).stdout).toContain('git config: set diff.nbpipe.command');

    const { dir, cleanup } = tempDir();
    removeAfterTest(cleanup);
    const outside = nbpipe(['install', '-q'], { cwd: dir, env: { ...process.env, GIT_CEILING_DIRECTORIES: dir } });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/not inside a git working tree/);
  });
});

describe('nbpipe install --global', () => {
  it("writes the user's git config and default attributes file, and removes exactly that", () => {
    const r = repo();
    const { home, env } = fakeHome();
    const opts = { cwd: r.dir, env: { ...process.env, ...env } };
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Someone\n');

    expect(nbpipe(['install', '--global'], opts).code).toBe(0);
    const attributesFile = join(home, '.config/git/attributes');
    expect(readFileSync(attributesFile, 'utf8')).toContain(ATTRIBUTE_LINE);
    expect(readFileSync(join(home, '.gitconfig'), 'utf8')).toContain('[merge "nbpipe"]');
    expect(existsSync(join(r.dir, '.gitattributes'))).toBe(false);
    expect(
      run('git', ['config', '--local', '--get', 'merge.nbpipe.driver'], { ...opts, allowFailure: true }).code,
    ).toBe(1);
    // git picks both up in any repository of this user
    const attr = run('git', ['check-attr', 'diff', '--', 'x.ipynb'], opts);
    expect(attr.stdout).toBe('x.ipynb: diff: nbpipe\n');

    expect(nbpipe(['install', '--global'], opts).stdout).toBe('');
    expect(nbpipe(['uninstall', '--global'], opts).code).toBe(0);
    expect(readFileSync(join(home, '.gitconfig'), 'utf8')).toBe('[user]\n\tname = Someone\n');
    expect(existsSync(attributesFile)).toBe(false);
    // The folders install made for it go too; the home is as it was.
    expect(readdirSync(home)).toEqual(['.gitconfig']);
  });

  it('uses core.attributesFile when the user has one', () => {
    const r = repo();
    const { home, env } = fakeHome();
    const opts = { cwd: r.dir, env: { ...process.env, ...env } };
    writeFileSync(join(home, 'my-attributes'), '*.bin binary\n');
    writeFileSync(join(home, '.gitconfig'), '[core]\n\tattributesFile = ~/my-attributes\n');

    expect(nbpipe(['install', '--global'], opts).code).toBe(0);
    expect(readFileSync(join(home, 'my-attributes'), 'utf8')).toContain(ATTRIBUTE_LINE);
    expect(existsSync(join(home, '.config/git/attributes'))).toBe(false);
    expect(nbpipe(['uninstall', '--global'], opts).code).toBe(0);
    expect(readFileSync(join(home, 'my-attributes'), 'utf8')).toBe('*.bin binary\n');
  });
});
