/**
 * Hostile file and branch names through every git-facing command of an `nbpipe install`ed repository: spaces,
 * quotes, `$(…)`, backticks, newlines, a leading `-`, unicode. Every operation works on such names exactly as on plain
 * ones, and no name is ever run as a command: each would create the canary file if a shell evaluated it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, parse, serialize, type Cell } from '@nbpipe/nbformat';
import { serverSocketPath } from '../../packages/cli/src/drivers/server.js';
import { ROOT, nbpipe, removeAfterTest, run, tempDir, tempRepo } from '../helpers.js';

const CANARY = 'PWNED';
const FILE_NAMES = [
  'with space.ipynb',
  `quo'te".ipynb`,
  `$(touch ${CANARY}).ipynb`,
  `\`touch ${CANARY}\`.ipynb`,
  `semi;colon|pipe&$HOME.ipynb`,
  '-leading dash.ipynb',
  'new\nline.ipynb',
  'ünï cödé ✓.ipynb',
];
const BRANCHES = [`feat/$(touch\${IFS}${CANARY})`, `tick\`touch\${IFS}${CANARY}\``, `quo'te"s;x|y&z`, 'ünï-✓'];

const notebook = (source: string, output?: string) =>
  serialize({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { jupytext: { formats: 'ipynb,py:percent' } },
    cells: [
      codeCell(source, {
        id: 'a',
        execution_count: output ? 1 : null,
        outputs: output ? [{ output_type: 'stream', name: 'stdout', text: output }] : [],
      }) as Cell,
    ],
  });

/** Where a shell that evaluated a name would have created the canary: the repository, the temporary folder, `/`. */
function canaries(...dirs: string[]): string[] {
  const found: string[] = [];
  for (const dir of [...dirs, '/', process.cwd()]) {
    const names =
      dir === '/' || dir === process.cwd() ? readdirSync(dir) : (readdirSync(dir, { recursive: true }) as string[]);
    for (const name of names) if (name.split('/').pop() === CANARY) found.push(join(dir, name));
  }
  return found;
}

describe('hostile file and branch names', () => {
  it('go through the filter, the hook, diff with and without the server, a conflicted merge, conflicts, sync and run', async () => {
    const r = tempRepo();
    removeAfterTest(r.cleanup);
    const tmp = tempDir('nbpipe-names-');
    removeAfterTest(tmp.cleanup);
    const env = (extra: NodeJS.ProcessEnv = {}) => ({
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      NO_COLOR: '1',
      TMPDIR: tmp.dir,
      ...extra,
    });
    const git = (args: string[], extra?: NodeJS.ProcessEnv) =>
      run('git', args, { cwd: r.dir, env: env(extra), allowFailure: true });
    const ok = (result: { code: number; stdout: string; stderr: string }, what: string) => {
      expect(result.code, `${what}\n${result.stdout}\n${result.stderr}`).toBe(0);
      return result;
    };
    for (const branch of BRANCHES)
      expect(run('git', ['check-ref-format', '--branch', branch], { allowFailure: true }).code, branch).toBe(0);

    ok(nbpipe(['install'], { cwd: r.dir, env: env() }), 'install');
    // Commit through the filter and the pre-commit hook: outputs stripped from what is committed, kept on disk.
    for (const name of FILE_NAMES) r.write(name, notebook('x = 1', 'one\n'));
    ok(git(['add', '-A']), 'add');
    ok(git(['commit', '-q', '-m', 'base']), 'commit');
    for (const name of FILE_NAMES) {
      const committed = ok(git(['show', `HEAD:${name}`]), `show ${name}`).stdout;
      expect(parse(committed).cells[0]).toMatchObject({ source: 'x = 1', outputs: [] });
      expect(r.read(name)).toContain('one\\n');
    }

    // git diff, the driver in its own process and through the resident server: the same, name by name.
    for (const name of FILE_NAMES) r.write(name, notebook('x = 2', 'one\n'));
    const direct = ok(git(['diff'], { NBPIPE_DRIVER_SERVER: '0' }), 'diff').stdout;
    for (const name of FILE_NAMES) expect(direct, name).toContain(name.includes('\n') ? 'line.ipynb' : name);
    expect(direct.match(/^\+x = 2$/gm)).toHaveLength(FILE_NAMES.length);
    ok(git(['diff']), 'diff starting the server');
    const { socket } = serverSocketPath(join(ROOT, 'packages/cli/drivers/git-drivers.cjs'), { TMPDIR: tmp.dir });
    for (let waited = 0; !existsSync(socket) && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(socket)).toBe(true);
    expect(ok(git(['diff']), 'diff through the server').stdout).toBe(direct);

    // A conflicted merge between hostile branches, through the merge driver; `nbpipe conflicts` lists each file.
    const [ours, theirs] = BRANCHES as [string, string];
    ok(git(['checkout', '-q', '-b', ours]), `checkout ${ours}`);
    ok(git(['commit', '-q', '-am', 'ours']), 'commit ours');
    ok(git(['checkout', '-q', '-b', theirs, 'HEAD~1']), `checkout ${theirs}`);
    for (const name of FILE_NAMES) r.write(name, notebook('x = 3'));
    ok(git(['commit', '-q', '-am', 'theirs']), 'commit theirs');
    ok(git(['checkout', '-q', ours]), `checkout ${ours}`);
    const merge = git(['merge', '--no-edit', theirs]);
    expect(merge.code, merge.stdout + merge.stderr).toBe(1);
    for (const name of FILE_NAMES) {
      const listed = nbpipe(['conflicts', '--', name], { cwd: r.dir, env: env() });
      expect(listed.code, `conflicts ${name}\n${listed.stderr}`).toBe(1);
      expect(listed.stdout, name).toContain('cell');
    }
    ok(git(['merge', '--abort']), 'merge --abort');

    // sync writes each pair; run on a hostile branch hands {{git}} to the shell task as data.
    for (const name of FILE_NAMES) ok(nbpipe(['sync', '--', name], { cwd: r.dir, env: env() }), `sync ${name}`);
    for (const name of FILE_NAMES) expect(r.read(name.replace(/\.ipynb$/, '.py'))).toContain('x = 2');
    for (const branch of BRANCHES) {
      ok(git(['checkout', '-q', '-B', branch]), `checkout ${branch}`);
      r.write('pipeline.yaml', `tasks:\n  - source: task.sh\n    product: out.txt\n    params: {branch: '{{git}}'}\n`);
      r.write('task.sh', `printf '%s\\n' {{branch}} "{{branch}}" '{{branch}}' > {{product}}\n`);
      ok(nbpipe(['run', '--force'], { cwd: r.dir, env: env() }), `run on ${branch}`);
      expect(readFileSync(join(r.dir, 'out.txt'), 'utf8')).toBe(`${branch}\n${branch}\n${branch}\n`);
    }

    expect(canaries(r.dir, tmp.dir)).toEqual([]);
  }, 300_000);
});
