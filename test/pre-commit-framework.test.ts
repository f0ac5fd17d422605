// The pre-commit framework with this repository as the hook repository, as a user adds it to .pre-commit-config.yaml:
// Debian's pre-commit installs the hooks of .pre-commit-hooks.yaml (`language: node`: npm install and npm pack of
// this repository, then a global install of that package in the hook's environment) and runs them, through
// `pre-commit try-repo`, which tries this checkout as it is, uncommitted changes included. Each try-repo installs the
// environment anew (several minutes: the whole workspace's npm install and build), so the test runs it twice only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, removeAfterTest, runAsync, tempDir, tempRepo } from './helpers.js';

const SLOW = 1_200_000;

const notebook = (output: boolean) =>
  JSON.stringify(
    {
      cells: [
        {
          cell_type: 'code',
          execution_count: output ? 1 : null,
          id: 'c1',
          metadata: {},
          outputs: output ? [{ output_type: 'stream', name: 'stdout', text: ['one\n'] }] : [],
          source: ['x = 1'],
        },
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

it(
  'pre-commit try-repo with nbpipe-strip, nbpipe-strip-check and nbpipe-sync: fixes a sample repository, then passes on it',
  async () => {
    const sample = tempRepo();
    removeAfterTest(sample.cleanup);
    const home = tempDir('nbpipe-pre-commit-home-');
    removeAfterTest(home.cleanup);
    // pre-commit's own git commands must not see the test run's npm environment; NODE_PATH is pre-commit's to set.
    const inherited = Object.entries(process.env).filter(([key]) => !/^(npm_|NODE_PATH$|INIT_CWD$)/i.test(key));
    const env = { ...Object.fromEntries(inherited), PRE_COMMIT_HOME: home.dir, GIT_CONFIG_NOSYSTEM: '1' };
    sample.write('a.ipynb', notebook(true));
    sample.write('.nbpiperc.json', JSON.stringify({ pairing: 'ipynb,py:percent' }));
    sample.git('add', '.');
    sample.git('commit', '-q', '-m', 'sample');
    const tryRepo = () =>
      runAsync('pre-commit', ['try-repo', ROOT, '--all-files'], { cwd: sample.dir, env, allowFailure: true });

    const first = await tryRepo();
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stdout).toMatch(
      /^strip notebook outputs \(nbpipe\)\.+Failed\n- hook id: nbpipe-strip\n- files were modified by this hook/m,
    );
    expect(first.stdout).toMatch(/^check notebooks carry no outputs \(nbpipe\)\.+Passed$/m); // run after nbpipe-strip
    // pre-commit counts only changes to tracked files as modifications: the new a.py leaves nbpipe-sync passing.
    const stripped = JSON.parse(sample.read('a.ipynb'));
    expect(stripped.cells[0].outputs).toEqual([]);
    expect(stripped.cells[0].execution_count).toBeNull();
    expect(readFileSync(join(sample.dir, 'a.py'), 'utf8')).toContain('x = 1');

    sample.git('add', '.');
    sample.git('commit', '-q', '-m', 'stripped and paired');
    const second = await tryRepo();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout.match(/\.+Passed$/gm)).toHaveLength(3);
  },
  SLOW,
);
