// What git shows of committed notebooks after `nbpipe install`: the committed (stripped) content, although git hands the
// drivers the work-tree file (outputs and all) for a blob equal to a stat-clean index entry, and temporary files of
// other blobs written through smudge, which gives this clone's outputs back.
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverKey } from '../packages/cli/src/drivers/server.js';
import { ROOT, nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

const DRIVERS = join(ROOT, 'packages/cli/drivers/git-drivers.cjs');
const CLIENT = join(ROOT, 'packages/cli/drivers/driver-client.pl');

const notebook = (source: string, output: string, metadata: object = {}) =>
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
      metadata,
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  ) + '\n';

/** Two commits of an executed notebook; the work-tree file keeps its outputs and is stat-clean in the index. */
function setup(files: Record<string, [string, string]>) {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  const tmp = tempDir('nbpipe-tmp-');
  removeAfterTest(tmp.cleanup);
  expect(nbpipe(['install', '--quiet'], { cwd: r.dir }).code).toBe(0);
  for (const [version, message] of [
    [0, 'first run'],
    [1, 'second run'],
  ] as const) {
    for (const [path, versions] of Object.entries(files)) r.write(path, versions[version]);
    r.git('add', '.');
    r.git('commit', '-q', '-m', message);
  }
  // Old enough not to be racily clean: git then trusts the stat data and hands over the work-tree file.
  const past = new Date(Date.now() - 10_000);
  for (const path of Object.keys(files)) utimesSync(join(r.dir, path), past, past);
  r.git('update-index', '--refresh');
  // Each test gets its own TMPDIR, so its own drivers server, which exits once that folder is gone.
  const env = (server: boolean) => ({
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    NO_COLOR: '1',
    TMPDIR: tmp.dir,
    NBPIPE_DRIVER_SERVER: server ? '1' : '0',
  });
  const git = (server: boolean, ...args: string[]) => run('git', args, { cwd: r.dir, env: env(server) }).stdout;
  const serverUp = async () => {
    const client = () =>
      spawnSync('perl', [CLIENT, process.execPath, DRIVERS, serverKey(DRIVERS), 'textconv', '.gitattributes'], {
        cwd: r.dir,
        env: env(true),
      });
    for (let tries = 0; client().status !== 0; tries++) {
      if (tries > 200) throw new Error('the drivers server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { r, git, serverUp };
}

const COMMANDS = [
  ['show', 'HEAD'],
  ['log', '-p'],
  ['diff', 'HEAD~1', 'HEAD'],
  ['diff', '--cached', 'HEAD~1'],
  // textconv, handed the work-tree file for the index's blob
  ['diff', '--no-ext-diff', '--cached', 'HEAD~1'],
];

describe('git show, log -p, diff A B and diff --cached of notebooks with outputs in the work tree', () => {
  for (const server of [false, true])
    it(`show the committed content, without outputs (drivers server ${server ? 'on' : 'off'})`, async () => {
      const s = setup({
        'nb.ipynb': [notebook("print('hello')", 'hello output\n'), notebook("print('bye')", 'bye output\n')],
      });
      expect(s.r.read('nb.ipynb')).toContain('bye output');
      // The stand-in is real: git hands its external diff the work-tree file for the new side.
      const handed = run('git', ['-c', 'diff.nbpipe.command=echo', 'diff', '--cached', 'HEAD~1'], {
        cwd: s.r.dir,
      }).stdout;
      expect(handed).toMatch(/^nb\.ipynb \S+ [0-9a-f]{40} 100644 nb\.ipynb [0-9a-f]{40} 100644$/m);
      if (server) {
        s.git(true, 'show', 'HEAD');
        await s.serverUp();
      }
      for (const command of COMMANDS) {
        const shown = s.git(server, ...command);
        expect(shown, command.join(' ')).toMatch(/print\('bye'\)/);
        expect(shown, command.join(' ')).not.toMatch(/output|Out\[/);
      }
      // The work tree's diff shows what changed there: its outputs against those checkout would give back.
      s.r.write('nb.ipynb', s.r.read('nb.ipynb').replace("print('bye')", "print('ciao')"));
      const worktree = s.git(server, 'diff');
      expect(worktree).toMatch(/^\+print\('ciao'\)$/m);
      expect(worktree).not.toMatch(/output/);
    });

  it('show the committed blob when the strip settings changed since the commit', () => {
    const s = setup({
      'nb.ipynb': [notebook("print('hello')", 'hello output\n'), notebook("print('bye')", 'bye output\n')],
    });
    // Stripping the work-tree file no longer gives the committed blob, and git, trusting the stat data, does not know.
    s.r.write('.nbpiperc.yaml', 'strip:\n  keepCount: true\n');
    for (const command of COMMANDS) {
      const shown = s.git(false, ...command);
      expect(shown, command.join(' ')).toMatch(/print\('bye'\)/);
      expect(shown, command.join(' ')).not.toMatch(/output|Out\[/);
    }
  });

  it('still shows outputs that were committed', () => {
    const keep = { keep_output: true };
    const s = setup({
      'kept.ipynb': [
        notebook("print('hello')", 'hello output\n', keep),
        notebook("print('bye')", 'bye output\n', keep),
      ],
    });
    for (const command of COMMANDS) expect(s.git(false, ...command), command.join(' ')).toMatch(/bye output/);
  });
});
