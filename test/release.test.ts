// The release tarball as a data team uses it: `npm run release:pack`'s nbpipe-X.Y.Z.tgz installed globally into an
// empty prefix and as a devDependency of a fresh npm project, then `nbpipe install` in a new git repository and a
// merge, the filter and `run` through git — with this monorepo out of reach (its node_modules not on PATH, NODE_PATH
// unset, a temporary HOME). Then an upgrade to a newer tarball keeps the repository working without a new install.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCell, emptyNotebook, serialize } from '@nbpipe/nbformat';
import { ROOT, run, runAsync, tempDir, type RunResult } from './helpers.js';

const SLOW = 300_000;
const work = tempDir('nbpipe-release-');
afterAll(work.cleanup);

/** npm's cache and user config of whoever runs the tests: the packages come from there (or the registry), not from this repository. */
const npmSetting = (key: string) => execFileSync('npm', ['config', 'get', key], { encoding: 'utf8' }).trim();
const NPM_CACHE = npmSetting('cache');
const NPM_USERCONFIG = npmSetting('userconfig');

/** The environment of a user who has only Node, git and Python: no npm_* variables of this test run, no NODE_PATH. */
function userEnv(home: string, ...path: string[]): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([key]) => !/^(npm_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$|VITEST)/i.test(key),
  );
  return {
    ...Object.fromEntries(inherited),
    HOME: home,
    PATH: [...path, dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    npm_config_cache: NPM_CACHE,
    npm_config_userconfig: NPM_USERCONFIG,
    npm_config_update_notifier: 'false',
    GIT_CONFIG_NOSYSTEM: '1',
    NO_COLOR: '1',
  };
}

const npmInstall = (args: string[], cwd: string, env: NodeJS.ProcessEnv) =>
  runAsync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args], { cwd, env });

let tarball: string;
let upgrade: string;

beforeAll(() => {
  tarball = run(process.execPath, [
    join(ROOT, 'scripts/release.mjs'),
    'pack',
    '--out',
    join(work.dir, 'v1'),
  ]).stdout.trim();
  // The next release: the same package with a bumped version, as `changeset version` then release:pack would make it.
  const unpacked = join(work.dir, 'v2');
  mkdirSync(unpacked);
  run('tar', ['xzf', tarball, '-C', unpacked]);
  const manifestPath = join(unpacked, 'package/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  manifest.version = `${manifest.version}-upgrade.1`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const packed = run('npm', ['pack', '--json', '--pack-destination', unpacked], {
    cwd: join(unpacked, 'package'),
  }).stdout;
  upgrade = join(unpacked, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
}, SLOW);

function notebook(source: string, withOutput: boolean): string {
  const nb = emptyNotebook();
  nb.metadata.kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
  nb.cells.push(
    codeCell(source, {
      id: 'c1',
      ...(withOutput
        ? { execution_count: 1, outputs: [{ output_type: 'stream', name: 'stdout', text: 'an output\n' }] }
        : {}),
    }),
  );
  return serialize(nb);
}

const PIPELINE = `tasks:
  - source: tasks/load.py
    executor: python
    product:
      nb: out/load.ipynb
      data: out/load.txt
  - source: tasks/use.ipynb
    product:
      nb: out/use.html
      data: out/use.txt
`;
const LOAD = `# %% tags=["parameters"]
upstream = None
product = None

# %%
open(product["data"], "w").write("1\\n2\\n3\\n")
`;
function useNotebook(): string {
  const nb = emptyNotebook();
  nb.metadata.kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
  nb.cells.push(
    codeCell('upstream = ["load"]\nproduct = None', { id: 'p1', metadata: { tags: ['parameters'] } }),
    codeCell('n = len(open(upstream["load"]["data"]).read().split())\nopen(product["data"], "w").write(str(n))\nn', {
      id: 'c1',
    }),
  );
  return serialize(nb);
}

/** A git repository (in `dir`, maybe already an npm project) where `nbpipe` runs as the user would run it. */
function userRepository(dir: string, nbpipeCommand: string[], env: NodeJS.ProcessEnv) {
  const git = (...args: string[]) => run('git', args, { cwd: dir, env });
  const nbpipe = (...args: string[]): RunResult =>
    run(nbpipeCommand[0]!, [...nbpipeCommand.slice(1), ...args], { cwd: dir, env, allowFailure: true });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  if (!existsSync(join(dir, '.git'))) git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  git('config', 'commit.gpgsign', 'false');
  return { dir, env, git, nbpipe, write, read };
}

type UserRepository = ReturnType<typeof userRepository>;

/**
 * Lets vitest's worker answer its runner between long blocking steps: without it a test that blocks on child processes
 * for over a minute fails the run with "Timeout calling onTaskUpdate" (see test/helpers.ts).
 */
const yieldToVitest = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `nbpipe install`, then the filter, a merge through the merge driver, a cell diff and a pipeline run, through git. */
async function exercise(repo: UserRepository): Promise<void> {
  const installed = repo.nbpipe('install');
  expect(installed.code, installed.stderr).toBe(0);
  const doctor = repo.nbpipe('doctor');
  expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);

  // The filter: committed without outputs, the working copy keeps them.
  const withOutput = notebook('x = 1\nprint(x)', true);
  repo.write('nb.ipynb', withOutput);
  repo.write('.gitignore', 'node_modules/\nout/\n');
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'notebook');
  expect(repo.git('show', 'HEAD:nb.ipynb').stdout).toBe(notebook('x = 1\nprint(x)', false));
  expect(repo.read('nb.ipynb')).toBe(withOutput);
  expect(repo.git('status', '--porcelain').stdout).toBe('');

  // The diff driver: a cell-level diff.
  repo.write('nb.ipynb', notebook('x = 3\nprint(x)', true));
  expect(repo.git('diff').stdout).toMatch(/^-x = 1$[\s\S]*^\+x = 3$/m);

  // The merge driver: both sides change the cell, the conflict is marked inside a notebook that is still JSON.
  repo.git('commit', '-q', '-am', 'three');
  repo.git('checkout', '-q', '-b', 'theirs', 'HEAD~1');
  repo.write('nb.ipynb', notebook('x = 2\nprint(x)', false));
  repo.git('commit', '-q', '-am', 'two');
  repo.git('checkout', '-q', 'main');
  const merge = run('git', ['merge', 'theirs'], { cwd: repo.dir, env: repo.env, allowFailure: true });
  expect(merge.code).toBe(1);
  expect(() => JSON.parse(repo.read('nb.ipynb'))).not.toThrow();
  const conflicts = repo.nbpipe('conflicts');
  expect(conflicts.code).toBe(1);
  expect(conflicts.stdout).toContain('nb.ipynb');
  repo.git('merge', '--abort');

  await yieldToVitest();
  // run: a script on the embedded executor (its Python helper ships in the package), a notebook on a Jupyter kernel
  // (native zeromq), an HTML report.
  repo.write('pipeline.yaml', PIPELINE);
  repo.write('tasks/load.py', LOAD);
  repo.write('tasks/use.ipynb', useNotebook());
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'pipeline');
  const ran = repo.nbpipe('run');
  expect(ran.code, ran.stderr).toBe(0);
  expect(repo.read('out/use.txt')).toBe('3');
  expect(existsSync(join(repo.dir, 'out/use.html'))).toBe(true);
  const again = repo.nbpipe('run');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).not.toMatch(/^✓ /m);
}

/** After an upgrade, without `nbpipe install`: doctor is content and git still strips, diffs and merges. */
function stillWorks(repo: UserRepository, version: string): void {
  expect(repo.nbpipe('--version').stdout.trim()).toBe(version);
  const doctor = repo.nbpipe('doctor');
  expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
  expect(doctor.stdout).toContain(`nbpipe ${version}`);
  repo.write('nb.ipynb', notebook('x = 4\nprint(x)', true));
  repo.git('commit', '-q', '-am', 'four');
  expect(repo.git('show', 'HEAD:nb.ipynb').stdout).toBe(notebook('x = 4\nprint(x)', false));
  expect(repo.git('log', '-p', '-1').stdout).toMatch(/^\+x = 4$/m);
}

const versionOf = (file: string) =>
  (JSON.parse(run('tar', ['xzOf', file, 'package/package.json']).stdout) as { version: string }).version;

describe('the release tarball', () => {
  it('holds no workspace package: it depends only on what the bundle leaves to Node', () => {
    const manifest = JSON.parse(run('tar', ['xzOf', tarball, 'package/package.json']).stdout) as {
      name: string;
      version: string;
      dependencies: Record<string, string>;
    };
    expect(tarball.endsWith(`/nbpipe-${manifest.version}.tgz`)).toBe(true);
    expect(manifest.version).toBe(JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version);
    expect(Object.keys(manifest.dependencies).sort()).toEqual(
      Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies).sort(),
    );
    expect(Object.keys(manifest.dependencies).some((name) => name.startsWith('@nbpipe/'))).toBe(false);
  });

  it(
    'installed globally: nbpipe install, filter, merge and run from a new repository; an upgrade keeps it working',
    async () => {
      const home = join(work.dir, 'global-home');
      const prefix = join(work.dir, 'global-prefix');
      mkdirSync(home);
      const env = userEnv(home, join(prefix, 'bin'));
      await npmInstall(['-g', '--prefix', prefix, tarball], work.dir, env);
      const repoDir = join(work.dir, 'global-repo');
      mkdirSync(repoDir);
      const repo = userRepository(repoDir, ['nbpipe'], env);
      await yieldToVitest();
      await exercise(repo);
      await yieldToVitest();
      expect(repo.git('config', 'diff.nbpipe.command').stdout).toContain(
        join(prefix, 'lib/node_modules/nbpipe/drivers/git-drivers.cjs'),
      );

      await npmInstall(['-g', '--prefix', prefix, upgrade], work.dir, env);
      stillWorks(repo, versionOf(upgrade));
    },
    SLOW,
  );

  it(
    'as a devDependency: npx nbpipe install, filter, merge and run; npm install of a newer version keeps it working',
    async () => {
      const home = join(work.dir, 'dev-home');
      mkdirSync(home);
      const env = userEnv(home);
      const repoDir = join(work.dir, 'dev-project');
      mkdirSync(repoDir);
      run('npm', ['init', '-y'], { cwd: repoDir, env });
      await npmInstall(['-D', tarball], repoDir, env);
      const repo = userRepository(repoDir, ['npx', 'nbpipe'], env);
      await yieldToVitest();
      await exercise(repo);
      await yieldToVitest();
      expect(repo.git('config', 'diff.nbpipe.command').stdout).toContain(
        join(repoDir, 'node_modules/nbpipe/drivers/git-drivers.cjs'),
      );

      await npmInstall(['-D', upgrade], repoDir, env);
      stillWorks(repo, versionOf(upgrade));

      // A teammate's clone: `npm install` alone sets it up, through the project's prepare script (README, "Set up your
      // repository").
      const manifestPath = join(repoDir, 'package.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      writeFileSync(
        manifestPath,
        JSON.stringify({ ...manifest, scripts: { prepare: 'nbpipe install --quiet' } }, null, 2) + '\n',
      );
      repo.git('add', 'package.json', 'package-lock.json');
      repo.git('commit', '-q', '-m', 'nbpipe as a devDependency');
      await yieldToVitest();
      const cloneDir = join(work.dir, 'dev-teammate');
      run('git', ['clone', '-q', repoDir, cloneDir], { env });
      await npmInstall([], cloneDir, env);
      const teammate = userRepository(cloneDir, ['npx', 'nbpipe'], env);
      expect(teammate.git('config', 'diff.nbpipe.command').stdout).toContain(
        join(cloneDir, 'node_modules/nbpipe/drivers/git-drivers.cjs'),
      );
      const doctor = teammate.nbpipe('doctor');
      expect(doctor.code, doctor.stdout).toBe(0);
    },
    SLOW,
  );

  it(
    "from npx's cache: install warns and doctor reports it, naming how to install nbpipe for good",
    async () => {
      const home = join(work.dir, 'npx-home');
      mkdirSync(home);
      const env = userEnv(home);
      // Where `npx nbpipe` installs a package the project lacks: <npm cache>/_npx/<hash>/node_modules.
      const npxDir = join(work.dir, 'npm-cache/_npx/0123456789abcdef');
      mkdirSync(npxDir, { recursive: true });
      await npmInstall(['--prefix', npxDir, tarball], npxDir, env);
      const repoDir = join(work.dir, 'npx-repo');
      mkdirSync(repoDir);
      const repo = userRepository(repoDir, [join(npxDir, 'node_modules/.bin/nbpipe')], env);
      const installed = repo.nbpipe('install');
      expect(installed.code).toBe(0);
      expect(installed.stderr).toContain("nbpipe: warning: nbpipe runs from npx's cache");
      expect(installed.stderr).toContain('npm install -D nbpipe');
      const doctor = repo.nbpipe('doctor');
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/^broken {2}nbpipe .*_npx/m);
    },
    SLOW,
  );
});

describe('Dockerfile', () => {
  /** The Dockerfile's instructions (one line each in this file): the instruction and its arguments. */
  const instructions = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ op: line.slice(0, line.indexOf(' ')), args: line.slice(line.indexOf(' ') + 1) }));
  const runLines = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

  it('starts from Node 20 on Debian and installs Debian packages that exist', () => {
    expect(instructions[0]).toEqual({ op: 'FROM', args: expect.stringMatching(/^node:20-bookworm/) });
    const packages = /--no-install-recommends ([^&]+)&&/.exec(runLines[0]!)![1]!.trim().split(/\s+/);
    expect(packages).toContain('python3-ipykernel');
    // apt-get cannot run here; Debian's own packages of those names are installed by .ci/run.
    for (const name of packages) expect(run('dpkg', ['-s', name], { allowFailure: true }).code, name).toBe(0);
  });

  it(
    'installs the release tarball it copies in with the command it runs, which prints the version',
    () => {
      const [, copiedTo] = instructions.find((i) => i.op === 'COPY')!.args.split(' ');
      const dir = join(work.dir, 'docker');
      mkdirSync(join(dir, 'home'), { recursive: true });
      const copied = join(dir, 'nbpipe.tgz');
      writeFileSync(copied, readFileSync(tarball));
      const prefix = join(dir, 'prefix');
      const env = {
        ...userEnv(join(dir, 'home'), join(prefix, 'bin')),
        npm_config_prefix: prefix,
        npm_config_prefer_offline: 'true',
      };
      const installed = run('sh', ['-c', runLines[1]!.replaceAll(copiedTo!, copied)], { env });
      expect(installed.stdout.trim().split('\n').pop()).toBe(versionOf(tarball));
      expect(existsSync(copied)).toBe(false);
    },
    SLOW,
  );
});
