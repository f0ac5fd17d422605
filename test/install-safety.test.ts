import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, tempDir, tempRepo } from './helpers.js';

/** A repository and a global git config whose core.hooksPath is one folder for every repository. */
function repoUnderSharedHooks() {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  const home = tempDir('nbpipe-home-');
  removeAfterTest(home.cleanup);
  const shared = join(home.dir, 'hooks');
  mkdirSync(shared);
  const globalConfig = join(home.dir, 'gitconfig');
  writeFileSync(globalConfig, `[core]\n\thooksPath = ${shared}\n`);
  const env = { HOME: home.dir, GIT_CONFIG_GLOBAL: globalConfig, GIT_CONFIG_NOSYSTEM: '1' };
  return { repo, shared, env };
}

describe('nbpipe install under a global core.hooksPath', () => {
  it('refuses to write hooks into the shared folder, writes nothing, and says what to do instead', () => {
    const { repo, shared, env } = repoUnderSharedHooks();
    const config = repo.read('.git/config');
    const r = nbpipe(['install'], { cwd: repo.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `core.hooksPath in ${join(shared, '..', 'gitconfig')} makes ${shared} the hooks folder of every repository`,
    );
    expect(r.stderr).toContain('--hooks none');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(shared)).toEqual([]);
    expect(repo.read('.git/config')).toBe(config);
    expect(existsSync(join(repo.dir, '.gitattributes'))).toBe(false);
  });

  it('installs with --hooks none, or into the repository’s own hooks folder, leaving the shared one alone', () => {
    const { repo, shared, env } = repoUnderSharedHooks();
    const none = nbpipe(['install', '--hooks', 'none'], { cwd: repo.dir, env });
    expect(none.code, none.stderr).toBe(0);
    repo.git('config', 'core.hooksPath', '.git/hooks');
    const own = nbpipe(['install'], { cwd: repo.dir, env });
    expect(own.code, own.stderr).toBe(0);
    expect(existsSync(join(repo.dir, '.git/hooks/pre-commit'))).toBe(true);
    expect(readdirSync(shared)).toEqual([]);
    expect(nbpipe(['doctor'], { cwd: repo.dir, env }).code).toBe(0);
  });

  it('doctor reports nbpipe hooks found in a shared hooks folder', () => {
    const { repo, shared, env } = repoUnderSharedHooks();
    // Installed before the global setting existed, then the folder became everyone's.
    const local = nbpipe(['install'], { cwd: repo.dir, env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' } });
    expect(local.code, local.stderr).toBe(0);
    for (const hook of readdirSync(join(repo.dir, '.git/hooks')).filter((f) => !f.endsWith('.sample')))
      writeFileSync(join(shared, hook), repo.read(`.git/hooks/${hook}`), { mode: 0o755 });
    const r = nbpipe(['doctor'], { cwd: repo.dir, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/broken {2}hooks folder\n.*makes .* the hooks folder of every repository/);
  });
});
