import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, nbpipe, removeAfterTest, tempRepo } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids of the live (not zombie) processes of a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

function project() {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  repo.write('pipeline.yaml', 'tasks:\n  - {source: slow.sh, product: out/slow.txt}\n');
  // Records each start; the first start waits to be killed, later ones finish at once.
  repo.write('slow.sh', 'echo $$ >> starts.txt\nif [ ! -e first ]; then touch first; sleep 30; fi\necho ok > {{product}}\n');
  repo.write('.gitignore', 'out/\nstarts.txt\nfirst\n');
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'slow');
  return repo;
}

describe.skipIf(process.platform !== 'linux')('a task does not outlive its run', () => {
  it('kill -9 of `nbpipe run` takes the running task with it; the next run runs it once', async () => {
    const repo = project();
    const child = spawn(process.execPath, [CLI, 'run'], { cwd: repo.dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    for (let i = 0; i < 200 && !existsSync(join(repo.dir, 'first')); i++) await sleep(50);
    const task = Number(repo.read('starts.txt').trim());
    expect(groupMembers(task).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 100 && groupMembers(task).length > 0; i++) await sleep(50);
    expect(groupMembers(task)).toEqual([]);

    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(repo.read('starts.txt').trim().split('\n')).toHaveLength(2);
    expect(repo.read('out/slow.txt')).toBe('ok\n');
    expect(JSON.parse(repo.read('.nbpipe/state.json')).running).toEqual({});
  });

  it('refuses to start a task whose process from an earlier run is still alive', async () => {
    const repo = project();
    const survivor = spawn('sleep', ['30'], { stdio: 'ignore' });
    removeAfterTest(() => survivor.kill('SIGKILL'));
    mkdirSync(join(repo.dir, '.nbpipe'), { recursive: true });
    writeFileSync(join(repo.dir, '.nbpipe/state.json'), JSON.stringify({ version: 1, tasks: {}, files: {}, sources: {}, running: { slow: { pid: survivor.pid } } }));
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`task slow failed: its process from an earlier run (pid ${survivor.pid}) is still running`);
    expect(existsSync(join(repo.dir, 'starts.txt'))).toBe(false);

    survivor.kill('SIGKILL');
    await new Promise((r) => survivor.once('exit', r));
    writeFileSync(join(repo.dir, 'first'), '');
    expect(nbpipe(['run'], { cwd: repo.dir }).code).toBe(0);
    expect(repo.read('out/slow.txt')).toBe('ok\n');
  });
});
