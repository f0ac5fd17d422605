import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, nbpipe, removeAfterTest, tempRepo } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, …), if the process exists. */
function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether a process runs (a zombie does not: it ended and waits to be reaped). */
function isLive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat[0] !== 'Z';
}

/** Pids of the live processes of a process group. */
function groupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(procStat(entry)?.[2]) === pgid)
    .map(Number)
    .filter(isLive);
}

function project() {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  repo.write('pipeline.yaml', 'tasks:\n  - {source: slow.sh, product: out/slow.txt}\n');
  // Records each start; the first start waits to be killed, later ones finish at once.
  repo.write(
    'slow.sh',
    'echo $$ >> starts.txt\nif [ ! -e first ]; then touch first; sleep 30; fi\necho ok > {{product}}\n',
  );
  repo.write('.gitignore', 'out/\nstarts.txt\nfirst\n');
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'slow');
  return repo;
}

describe.skipIf(process.platform !== 'linux')('a task does not outlive its run', () => {
  it('kill -9 of `nbpipe run` takes the running task with it; the next run runs it once', async () => {
    const repo = project();
    const child = spawn(process.execPath, [CLI, 'run'], {
      cwd: repo.dir,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
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

  it("kill -9 of `nbpipe run` takes a notebook task's Jupyter kernel and what its cells started with it", async () => {
    const repo = tempRepo();
    removeAfterTest(repo.cleanup);
    repo.write('pipeline.yaml', 'tasks:\n  - {source: cells.py, product: out/cells.ipynb, executor: jupyter}\n');
    repo.write(
      'cells.py',
      `# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nimport os, subprocess, time\nchild = subprocess.Popen(["sleep", "60"])\nopen("pids.txt", "w").write(f"{os.getpid()} {child.pid}\\n")\ntime.sleep(60)\n`,
    );
    const child = spawn(process.execPath, [CLI, 'run'], {
      cwd: repo.dir,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    removeAfterTest(() => child.kill('SIGKILL'));
    for (let i = 0; i < 600 && !existsSync(join(repo.dir, 'pids.txt')); i++) await sleep(50);
    const pids = repo.read('pids.txt').trim().split(' ').map(Number);
    const alive = () => pids.filter((pid) => isLive(pid));
    expect(alive()).toEqual(pids);
    child.kill('SIGKILL');
    for (let i = 0; i < 100 && alive().length > 0; i++) await sleep(50);
    expect(alive()).toEqual([]);
  });

  it('refuses to start a task whose process from an earlier run is still alive', async () => {
    const repo = project();
    const survivor = spawn('sleep', ['30'], { stdio: 'ignore' });
    removeAfterTest(() => survivor.kill('SIGKILL'));
    mkdirSync(join(repo.dir, '.nbpipe'), { recursive: true });
    writeFileSync(
      join(repo.dir, '.nbpipe/state.json'),
      JSON.stringify({ version: 1, tasks: {}, files: {}, sources: {}, running: { slow: { pid: survivor.pid } } }),
    );
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `task slow failed: its process from an earlier run (pid ${survivor.pid}) is still running`,
    );
    expect(existsSync(join(repo.dir, 'starts.txt'))).toBe(false);

    survivor.kill('SIGKILL');
    await new Promise((r) => survivor.once('exit', r));
    writeFileSync(join(repo.dir, 'first'), '');
    expect(nbpipe(['run'], { cwd: repo.dir }).code).toBe(0);
    expect(repo.read('out/slow.txt')).toBe('ok\n');
  });
});

describe('placeholders reach shell tasks as data', () => {
  it('a hostile branch name, env.yaml value, environment variable and --env value run nothing and arrive exactly', () => {
    const repo = tempRepo();
    removeAfterTest(repo.cleanup);
    const branch = 'feat$(touch${IFS}pwned)`touch${IFS}pwned2`';
    const fromYaml = `it's "a" $(touch pwned3)\n-n \`touch pwned4\``;
    const fromEnv = '\'; touch pwned5; \' "$(touch pwned6)"';
    const fromOverride = '-x $(touch pwned7)';
    repo.write(
      'pipeline.yaml',
      `tasks:
  - source: show.sh
    product: {branch: out/branch.txt, yaml: out/yaml.txt, env: out/env.txt, override: out/override.txt}
    params: {branch: '{{git}}', yaml: '{{hostile}}', env: '{{env.HOSTILE}}', override: '{{other}}'}
    on_finish: printf '%s' {{git}} > out/on-finish.txt
`,
    );
    repo.write('env.yaml', `hostile: ${JSON.stringify(fromYaml)}\nother: plain\n`);
    repo.write(
      'show.sh',
      `printf '%s' {{branch}} > {{product.branch}}\nprintf '%s' "{{yaml}}" > "{{product.yaml}}"\nprintf '%s' '{{env}}' > '{{product.env}}'\ncat > {{product.override}} <<EOF\n{{override}}\nEOF\n`,
    );
    repo.write('.gitignore', 'out/\n');
    repo.git('checkout', '-q', '-b', branch);
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'hostile');
    const r = nbpipe(['run', '--env', `other=${fromOverride}`], { cwd: repo.dir, env: { HOSTILE: fromEnv } });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(repo.dir).filter((f) => f.startsWith('pwned'))).toEqual([]);
    expect(repo.read('out/branch.txt')).toBe(branch);
    expect(repo.read('out/yaml.txt')).toBe(fromYaml);
    expect(repo.read('out/env.txt')).toBe(fromEnv);
    expect(repo.read('out/override.txt')).toBe(`${fromOverride}\n`);
    expect(repo.read('out/on-finish.txt')).toBe(branch);
  });
});

describe('a structurally wrong .nbpipe/state.json', () => {
  const broken = {
    'a task record of null': { tasks: { slow: null } },
    'parts without inputs': {
      tasks: {
        slow: {
          status: 'ok',
          fingerprint: 'x',
          parts: { source: 'a', params: 'b', definition: 'c', upstream: {} },
          products: {},
          startedAt: 'now',
          durationMs: 1,
        },
      },
    },
    'products of null': {
      tasks: { slow: { status: 'ok', fingerprint: 'x', products: null, startedAt: 'now', durationMs: 1 } },
    },
    'a file entry that is not a pair': { files: { 'slow.sh': 'abc' } },
    'a source analysis of null': { sources: { 'shell:abc:.sh': null } },
    'a running entry without pid': { running: { slow: {} } },
  };
  for (const [what, content] of Object.entries(broken))
    it(`(${what}) is set aside with a warning naming it: status and run work`, () => {
      const repo = project();
      repo.write('first', '');
      repo.write('.nbpipe/state.json', JSON.stringify({ version: 1, tasks: {}, files: {}, sources: {}, ...content }));
      for (const command of ['status', 'run']) {
        const r = nbpipe([command], { cwd: repo.dir });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/\.nbpipe\/state\.json: "\w+" is not what nbpipe writes there; starting afresh/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      expect(repo.read('out/slow.txt')).toBe('ok\n');
      expect(nbpipe(['status'], { cwd: repo.dir }).stderr).not.toMatch(/state\.json/);
    });
});

describe('products outside the project', () => {
  it('are allowed, named in run -n, status and run, and nothing else outside is touched', () => {
    const repo = tempRepo();
    removeAfterTest(repo.cleanup);
    const elsewhere = join(repo.dir, 'elsewhere');
    repo.write('elsewhere/keep.txt', 'keep\n');
    repo.write(
      'proj/pipeline.yaml',
      `tasks:\n  - {source: up.sh, product: ../shared/up.txt}\n  - {source: abs.sh, product: ${join(elsewhere, 'abs.txt')}}\n  - {source: in.sh, product: out/in.txt}\n`,
    );
    repo.write('proj/up.sh', 'echo up > {{product}}\n');
    repo.write('proj/abs.sh', 'echo abs > {{product}}\n');
    repo.write('proj/in.sh', 'echo in > {{product}}\n');
    const cwd = join(repo.dir, 'proj');
    const notice = (task: string, path: string) =>
      new RegExp(
        `pipeline\\.yaml:\\d+: task ${task}: product ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is outside the project; run writes it there`,
      );
    for (const args of [['run', '-n'], ['status'], ['run']]) {
      const r = nbpipe(args, { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(notice('up', '../shared/up.txt'));
      expect(r.stderr).toMatch(notice('abs', '../elsewhere/abs.txt'));
      expect(r.stderr).not.toMatch(/task in: product/);
    }
    expect(repo.read('shared/up.txt')).toBe('up\n');
    expect(readdirSync(elsewhere).sort()).toEqual(['abs.txt', 'keep.txt']);
    expect(repo.read('elsewhere/keep.txt')).toBe('keep\n');
  });
});
