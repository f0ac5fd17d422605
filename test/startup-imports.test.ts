import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nbpipe, ROOT, tempDir, tempRepo } from './helpers.js';

// The start-up rules (scripts/startup-rules.mjs) checked on the CLI as it runs: every module it loads is recorded by
// a module resolution hook. The unbundled build is run, whose modules name their packages; the bundle's lazily
// loaded chunks follow the same imports.

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const rules = (await import(pathToFileURL(join(ROOT, 'scripts/startup-rules.mjs')).href)) as {
  NOT_LOADED_WHEN_PLANNING: string[];
};

/** The packages (`yaml`, `@nbpipe/codec`) an nbpipe command loads, run in `cwd`. */
function packagesLoaded(cwd: string, args: string[]): Set<string> {
  const { dir, cleanup } = tempDir('nbpipe-imports-');
  cleanups.push(cleanup);
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}
`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  const r = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(ROOT, 'packages/cli/dist/bin.js'), ...args],
    { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  expect(r.status, r.stderr).toBe(0);
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const dependency = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
    const workspace = /\/packages\/([^/]+)\/dist\//.exec(url)?.[1];
    if (dependency) packages.add(dependency);
    else if (workspace) packages.add(`@nbpipe/${workspace}`);
  }
  expect(packages.has('@nbpipe/pipeline')).toBe(true); // the hook saw the command's modules
  return packages;
}

describe('planning an unchanged pipeline loads only what it needs (scripts/startup-rules.mjs)', () => {
  it('status and a no-op run of shell and notebook tasks load none of NOT_LOADED_WHEN_PLANNING', () => {
    const repo = tempRepo();
    cleanups.push(repo.cleanup);
    const files = {
      'pipeline.yaml': `tasks:
  - {source: a.sh, product: out/a.txt}
  - {source: b.sh, product: out/b.txt, params: {n: 1}}
  - {source: one.py, product: out/one.ipynb}
`,
      'a.sh': 'echo a > {{product}}\n',
      'b.sh': "cat {{upstream['a']}} > {{product}}\n",
      'one.py': '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nx = 1\n',
      '.gitignore': 'out/\n',
    };
    for (const [path, text] of Object.entries(files)) repo.write(path, text);
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'pipeline');
    // The shell tasks run; the notebook is analysed (no kernel needed), its analysis kept.
    expect(nbpipe(['run', '--quiet', 'a', 'b'], { cwd: repo.dir }).code).toBe(0);
    for (const command of [['status'], ['run', '--quiet', 'a', 'b']]) {
      const loaded = packagesLoaded(repo.dir, command);
      expect(
        rules.NOT_LOADED_WHEN_PLANNING.filter((name) => loaded.has(name)),
        `nbpipe ${command.join(' ')}`,
      ).toEqual([]);
    }
  });
});
