/**
 * The drivers' resident server (packages/cli/src/drivers/server.ts) and its Perl client (packages/cli/drivers/driver-client.pl), through
 * real git: whatever answers, git shows exactly what the driver in its own node process shows. Each test gives git its
 * own TMPDIR, so it talks to a server of its own, which exits once that folder is gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, serialize, type Cell } from '@nbpipe/nbformat';
import { serverKey, serverSocketPath } from '../packages/cli/src/drivers/server.js';
import { ROOT, nbpipe, removeAfterTest, run, tempDir, tempRepo } from './helpers.js';

const DRIVERS = join(ROOT, 'packages/cli/drivers/git-drivers.cjs');
const CLIENT = join(ROOT, 'packages/cli/drivers/driver-client.pl');
const BUNDLE = join(ROOT, 'packages/cli/dist/bundle/git-drivers.cjs');

const nb = (cells: Cell[]) => serialize({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const base = [
  markdownCell('# Title', { id: 'a' }),
  codeCell('x = 1\ny = 2', { id: 'b' }),
  codeCell('print(x)', { id: 'c' }),
];
const edited = (id: string, source: string) => base.map((c) => (c.id === id ? { ...c, source } : c));

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A repository with nbpipe installed and two changed notebooks; git, the client and the socket all use `tmp`. */
function setup({ tmpdirLength = 0, idleSeconds = 0 } = {}) {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  const tmp = tempDir('nbpipe-server-');
  removeAfterTest(tmp.cleanup);
  const tmpdir = tmp.dir.length < tmpdirLength ? join(tmp.dir, 't'.repeat(tmpdirLength - tmp.dir.length - 1)) : tmp.dir;
  mkdirSync(tmpdir, { recursive: true });
  expect(nbpipe(['install'], { cwd: r.dir }).code).toBe(0);
  r.write('one.ipynb', nb(base));
  r.write('two.ipynb', nb(base));
  r.git('add', '.');
  r.git('commit', '-q', '-m', 'base');
  r.write('one.ipynb', nb(edited('b', 'x = 5\ny = 2')));
  r.write('two.ipynb', nb(edited('c', 'print(x, y)')));
  const idle = idleSeconds ? { NBPIPE_DRIVER_SERVER_IDLE_SECONDS: String(idleSeconds) } : {};
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    NO_COLOR: '',
    TMPDIR: tmpdir,
    ...idle,
    ...extra,
  });
  const git = (args: string[], extra?: NodeJS.ProcessEnv) => run('git', args, { cwd: r.dir, env: env(extra) });
  /** The client run by hand, as git's diff command runs it. */
  const client = (args: string[], extra?: NodeJS.ProcessEnv) => {
    const c = spawnSync('perl', [CLIENT, process.execPath, DRIVERS, serverKey(DRIVERS), ...args], {
      cwd: r.dir,
      env: env(extra),
      encoding: 'utf8',
    });
    return { code: c.status, stdout: c.stdout };
  };
  const { dir, socket } = serverSocketPath(DRIVERS, { TMPDIR: tmpdir });
  const serverUp = () => until(() => client(['textconv', 'one.ipynb']).code === 0, 'the server answers');
  return { r, tmp, tmpdir, git, client, dir, socket, serverUp };
}

const withoutServer = { NBPIPE_DRIVER_SERVER: '0' };

/** The ids of the driver servers running with `tmpdir` as their TMPDIR (Linux's /proc). */
function serversWithTmpdir(tmpdir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return (
          command.includes('serve-drivers') &&
          readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`TMPDIR=${tmpdir}`)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("the drivers' resident server", () => {
  it('answers git diff, log -p and show exactly as the driver in its own process does, colour included', async () => {
    const s = setup();
    const first = s.git(['diff']);
    await s.serverUp();
    const direct = s.git(['diff'], withoutServer).stdout;
    expect(direct).toMatch(/^\+x = 5$/m);
    expect(first.stdout).toBe(direct);
    expect(s.git(['diff']).stdout).toBe(direct);
    // Served: the client alone prints the driver's output.
    const args = ['diff-driver', 'one.ipynb', 'one.ipynb', '0', '100644', 'one.ipynb', '0', '100644'];
    const served = s.client(args);
    expect(served.code).toBe(0);
    expect(served.stdout).toBe(nbpipe(args, { cwd: s.r.dir }).stdout);
    expect(s.client(args, withoutServer).code).toBe(76);
    // A client standing for another script with this server's key (a config edited by hand) is turned away.
    const other = spawnSync(
      'perl',
      [CLIENT, process.execPath, join(s.tmp.dir, 'git-drivers.cjs'), serverKey(DRIVERS), ...args],
      {
        cwd: s.r.dir,
        env: { ...process.env, TMPDIR: s.tmp.dir },
      },
    );
    expect(other.status).toBe(76);
    // Colour as git decides it for the client's environment (git -c reaches the driver as GIT_CONFIG_PARAMETERS).
    for (const setting of ['always', 'never']) {
      const colourArgs = ['-c', `color.diff=${setting}`, 'diff'];
      const coloured = s.git(colourArgs, { GIT_PAGER_IN_USE: 'true' }).stdout;
      expect(coloured.includes('\x1b['), setting).toBe(setting === 'always');
      expect(coloured).toBe(s.git(colourArgs, { GIT_PAGER_IN_USE: 'true', ...withoutServer }).stdout);
    }
    s.git(['commit', '-q', '-am', 'edit']);
    for (const command of [['log', '-p'], ['show']])
      expect(s.git(command).stdout).toBe(s.git(command, withoutServer).stdout);
  });

  it('leaves what only the driver can do to the driver: an unreadable notebook still gets its warning and a plain diff', async () => {
    const s = setup();
    s.git(['diff']);
    await s.serverUp();
    s.r.write('one.ipynb', '{"cells": [');
    const served = s.git(['diff']);
    const direct = s.git(['diff'], withoutServer);
    expect(served.stderr).toMatch(/one\.ipynb \(new\).*showing a plain diff/);
    expect(served.stdout).toBe(direct.stdout);
    // git's plain diff, with the repository's paths rather than the temporary file git wrote the old side to.
    expect(served.stdout).toMatch(
      /^diff --git a\/one\.ipynb b\/one\.ipynb\n(.*\n)?--- a\/one\.ipynb\n\+\+\+ b\/one\.ipynb\n/m,
    );
    expect(served.stdout).toContain('+{"cells": [');
  });

  it('exits when its code changes on disk, even with its old modification time, and git goes on with the new code', async () => {
    const s = setup();
    const direct = s.git(['diff'], withoutServer).stdout;
    s.git(['diff']);
    await s.serverUp();
    // The built bundle kept aside with its times to the nanosecond (cp -p), and put back after the test.
    const saved = join(s.tmp.dir, 'git-drivers.cjs');
    run('cp', ['-p', BUNDLE, saved]);
    removeAfterTest(() => run('cp', ['-p', saved, BUNDLE]));
    // Other code put in place with the old modification time (cp -p, an unpacked archive): the server declines at once.
    const replacement = `${BUNDLE}.new`;
    writeFileSync(replacement, Buffer.concat([readFileSync(saved), Buffer.from('\n// rebuilt\n')]));
    run('touch', ['-r', saved, replacement]);
    renameSync(replacement, BUNDLE);
    expect(s.client(['textconv', 'one.ipynb']).code).toBe(76);
    await until(() => !existsSync(s.socket), 'the stale server removed its socket');
    expect(s.git(['diff']).stdout).toBe(direct);
    await s.serverUp();
  });

  it('with a TMPDIR too long for a socket address, serves from a short path and still exits when idle', async () => {
    const s = setup({ tmpdirLength: 150, idleSeconds: 2 });
    expect(s.tmpdir.length).toBeGreaterThanOrEqual(150);
    expect(s.socket.startsWith('/tmp/')).toBe(true);
    const direct = s.git(['diff'], withoutServer).stdout;
    expect(direct).toMatch(/^\+x = 5$/m);
    expect(s.git(['diff']).stdout).toBe(direct);
    await s.serverUp();
    expect(s.git(['diff']).stdout).toBe(direct);
    const servers = serversWithTmpdir(s.tmpdir);
    expect(servers.length).toBeGreaterThan(0);
    await until(() => serversWithTmpdir(s.tmpdir).length === 0, 'the idle server exited');
    expect(existsSync(s.socket)).toBe(false);
  });

  it('is neither started nor used when its socket folder is open to others', async () => {
    const s = setup();
    mkdirSync(s.dir);
    chmodSync(s.dir, 0o755);
    expect(s.git(['diff']).stdout).toBe(s.git(['diff'], withoutServer).stdout);
    expect(s.client(['textconv', 'one.ipynb']).code).toBe(76);
    expect(existsSync(s.socket)).toBe(false);
    // A folder opened up after the server started: the client stops using it.
    chmodSync(s.dir, 0o700);
    s.git(['diff']);
    await s.serverUp();
    chmodSync(s.dir, 0o755);
    expect(s.client(['textconv', 'one.ipynb']).code).toBe(76);
  });

  it('two servers started at once: the later socket wins and the other server exits; an idle server exits', async () => {
    const s = setup();
    const start = () => {
      const child = spawn(process.execPath, [DRIVERS, 'serve-drivers', DRIVERS], {
        env: { ...process.env, TMPDIR: s.tmp.dir, NBPIPE_DRIVER_SERVER_IDLE_SECONDS: '3' },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      removeAfterTest(() => child.kill());
      return { child, exited };
    };
    const a = start();
    await until(() => existsSync(s.socket), 'the first server listens');
    const firstSocket = statSync(s.socket).ino;
    const b = start();
    await until(
      () => statSync(s.socket, { throwIfNoEntry: false })?.ino !== firstSocket,
      'the second server took the socket',
    );
    expect(await a.exited).toBe(0);
    expect(s.client(['textconv', 'one.ipynb']).code).toBe(0);
    expect(await b.exited).toBe(0);
    expect(existsSync(s.socket)).toBe(false);
  });

  it('a server that does not answer in time is stopped and its socket freed, and git goes on with the driver', async () => {
    const s = setup();
    mkdirSync(s.dir, { mode: 0o700 });
    const stuck = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer(() => {}).listen(${JSON.stringify(s.socket)})`],
      { stdio: 'ignore' },
    );
    removeAfterTest(() => stuck.kill());
    const killed = new Promise<NodeJS.Signals | null>((resolve) => stuck.on('exit', (_, signal) => resolve(signal)));
    await until(() => existsSync(s.socket), 'the stuck server listens');
    expect(s.client(['textconv', 'one.ipynb'], { NBPIPE_DRIVER_SERVER_TIMEOUT_SECONDS: '1' }).code).toBe(76);
    expect(await killed).toBe('SIGKILL');
    expect(existsSync(s.socket)).toBe(false);
    expect(s.git(['diff']).stdout).toBe(s.git(['diff'], withoutServer).stdout);
  });
});

describe('a repository whose git config names the drivers in bin/, where nbpipe installed them before drivers/', () => {
  it('still diffs through the server and strips commits, and doctor says to run install again', async () => {
    const s = setup();
    const moved = join(ROOT, 'packages/cli/drivers/');
    const before = join(ROOT, 'packages/cli/bin/');
    const config = join(s.r.dir, '.git/config');
    writeFileSync(config, readFileSync(config, 'utf8').split(moved).join(before));
    expect(readFileSync(config, 'utf8')).not.toContain(moved);

    const direct = s.git(['diff'], withoutServer).stdout;
    expect(direct).toMatch(/^\+x = 5$/m);
    expect(s.git(['diff']).stdout).toBe(direct);
    const script = join(before, 'git-drivers.cjs');
    const oldClient = () =>
      spawnSync(
        'perl',
        [join(before, 'driver-client.pl'), process.execPath, script, serverKey(script), 'textconv', 'one.ipynb'],
        { cwd: s.r.dir, env: { ...process.env, TMPDIR: s.tmpdir } },
      ).status;
    await until(() => oldClient() === 0, 'the server started through bin/ answers');
    expect(s.git(['diff']).stdout).toBe(direct);

    const output = { output_type: 'stream' as const, name: 'stdout', text: '5\n' };
    s.r.write('run.ipynb', nb([codeCell('print(5)', { id: 'd', execution_count: 1, outputs: [output] })]));
    s.git(['add', 'run.ipynb']);
    expect(s.git(['show', ':run.ipynb']).stdout).toBe(nb([codeCell('print(5)', { id: 'd' })]));

    const doctor = nbpipe(['doctor'], { cwd: s.r.dir });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/differs from what `nbpipe install` writes \(run it again to update\)/);
  });
});
