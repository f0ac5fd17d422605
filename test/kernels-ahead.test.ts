// End-to-end: `nbpipe run` starts the next task's kernel while the current one runs (README "Fresh kernels"),
// for kernels forked from the warm parent and for kernels launched from their kernelspec.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findKernelSpec, KernelClient, KernelFactory } from '@nbpipe/kernel';
import { CLI, nbpipe, removeAfterTest, SYSTEM_PYTHON, tempDir, tempRepo } from './helpers.js';

const KERNEL_ARGS = ['-m', 'ipykernel_launcher', '-f', '{connection_file}'];
const KINDS = [
  // the usual kernelspec: its kernels are forked from the warm parent
  { kind: 'forked', argv: [SYSTEM_PYTHON, ...KERNEL_ARGS] },
  // wrapped in a shell, the warm parent does not apply: each kernel is launched from the kernelspec
  { kind: 'launched', argv: ['/bin/sh', '-c', 'exec "$0" "$@"', SYSTEM_PYTHON, ...KERNEL_ARGS] },
];

/** What each task's cell records about its kernel: when its process started, on the clock /proc uses. */
const PROBE = `import json, os, time
def now():
    return time.clock_gettime(time.CLOCK_BOOTTIME)
stat = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
seen = {"task": os.environ.get("NBPIPE_TASK"), "cwd": os.getcwd(), "left_behind": "left_behind" in globals(),
        "started": int(stat[19]) / os.sysconf("SC_CLK_TCK")}
left_behind = True
time.sleep(1.5)
# kernels running now, this one included (each has its connection file in a folder of its own)
seen["kernels"] = len([d for d in os.listdir(os.environ["TMPDIR"]) if d.startswith("nbpipe-kernel-")])
seen["ended"] = now()
`;

/** A notebook task's percent source: the parameters cell, then PROBE and `body`. */
function task(body: string): string {
  return `# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\n${PROBE}${body}`;
}

/** A project whose kernelspec `python3` (first on JUPYTER_PATH) has `argv`; its kernels keep their files in `tmp`. */
function project(argv: string[]) {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  const jupyter = join(repo.dir, '.jupyter');
  mkdirSync(join(jupyter, 'kernels', 'python3'), { recursive: true });
  writeFileSync(
    join(jupyter, 'kernels', 'python3', 'kernel.json'),
    JSON.stringify({ argv, display_name: 'Python 3', language: 'python' }),
  );
  const tmp = tempDir('nbpipe-ahead-tmp-');
  removeAfterTest(tmp.cleanup);
  const marker = `ahead-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const env = { ...process.env, JUPYTER_PATH: jupyter, TMPDIR: tmp.dir, NBPIPE_AHEAD_TEST: marker };
  return { ...repo, env, tmp: tmp.dir, marker };
}

/** Processes still running with `marker` in their environment (a zombie waiting for its reaper counts as gone). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)))
    try {
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`NBPIPE_AHEAD_TEST=${marker}`)) found.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours
    }
  return found;
}

async function nothingLeft(p: ReturnType<typeof project>): Promise<void> {
  for (let i = 0; i < 100 && processesWith(p.marker).length; i++) await new Promise((r) => setTimeout(r, 50));
  expect(processesWith(p.marker)).toEqual([]);
  expect(readdirSync(p.tmp).filter((d) => d.startsWith('nbpipe-kernel-'))).toEqual([]);
}

describe.each(KINDS)('kernels started ahead ($kind)', ({ argv }) => {
  it("start task N+1's kernel before task N ends, each kernel fresh and with its own task's environment", async () => {
    const p = project(argv);
    const names = ['one', 'two', 'three'];
    p.write(
      'pipeline.yaml',
      'tasks:\n' +
        names
          .map(
            (name, i) =>
              `  - {source: ${name}.py, product: {nb: out/${name}.ipynb, data: out/${name}.json}${i ? `, upstream: [${names[i - 1]}]` : ''}}\n`,
          )
          .join(''),
    );
    for (const name of names) p.write(`${name}.py`, task('open(product["data"], "w").write(json.dumps(seen))\n'));
    const r = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    const seen = names.map((name) => JSON.parse(p.read(`out/${name}.json`)) as Record<string, unknown>);
    for (const [i, name] of names.entries())
      expect(seen[i]).toMatchObject({ task: name, cwd: p.dir, left_behind: false });
    // the kernel of `two` started while `one` ran, that of `three` while `two` ran
    expect(seen[1]!.started as number).toBeLessThan(seen[0]!.ended as number);
    expect(seen[2]!.started as number).toBeLessThan(seen[1]!.ended as number);
    // the first task ran beside the second one's kernel only: the third waits for the second to start
    expect(seen[0]!.kernels).toBe(2);
    await nothingLeft(p);
  }, 60000);

  it('end the kernel started ahead when the run fails (an error, a kernel killed mid-cell) or is interrupted: no process, no connection file left', async () => {
    const p = project(argv);
    p.write(
      'pipeline.yaml',
      'tasks:\n  - {source: one.py, product: {nb: out/one.ipynb}}\n  - {source: two.py, product: {nb: out/two.ipynb}, upstream: [one]}\n',
    );
    p.write(
      'one.py',
      task(
        'open("seen.json", "w").write(json.dumps(seen))\nif os.environ.get("SLEEP"):\n    time.sleep(60)\nif os.environ.get("KILL"):\n    os.kill(os.getpid(), 9)\nraise ValueError("failed")\n',
      ),
    );
    p.write('two.py', task('pass\n'));

    const failed = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env: p.env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ValueError: failed');
    expect(JSON.parse(p.read('seen.json'))).toMatchObject({ kernels: 2 }); // two's kernel was waiting
    expect(existsSync(join(p.dir, 'out/two.ipynb'))).toBe(false);
    await nothingLeft(p);

    // the task's kernel killed mid-cell: the task fails as the kernel died, two's kernel goes too
    p.write('seen.json', '');
    const killed = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env: { ...p.env, KILL: '1' } });
    expect(killed.code).toBe(1);
    expect(killed.stderr).toMatch(/the kernel died/);
    expect(JSON.parse(p.read('seen.json'))).toMatchObject({ kernels: 2 });
    await nothingLeft(p);

    p.write('seen.json', '');
    const child = spawn(process.execPath, [CLI, 'run', '--jobs', '1'], {
      cwd: p.dir,
      stdio: 'ignore',
      env: { ...p.env, NO_COLOR: '1', SLEEP: '1' },
    });
    const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
    for (let i = 0; i < 400 && !p.read('seen.json'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(p.read('seen.json'))).toMatchObject({ kernels: 2 });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    await nothingLeft(p);
  }, 60000);
});

/** The processes this test process started, and theirs, still running. */
function descendants(): Set<number> {
  const children = new Map<number, number[]>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d)))
    try {
      const [, state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.split(' ');
      if (state !== 'Z') children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(pid)]);
    } catch {
      // gone meanwhile
    }
  const found = new Set<number>();
  const visit = (pid: number) => (children.get(pid) ?? []).forEach((child) => (found.add(child), visit(child)));
  visit(process.pid);
  return found;
}

describe.each(KINDS)('KernelFactory.startAhead ($kind)', ({ argv }) => {
  it('gives the kernel started ahead to the launch asking for the same kernelspec, cwd and environment only', async () => {
    const p = project(argv);
    const spec = findKernelSpec('python3', { dataDirs: [join(p.dir, '.jupyter')] });
    const kernels = new KernelFactory();
    const ahead = { cwd: p.dir, env: { NBPIPE_TASK: 'next' } };
    const other = { cwd: p.dir, env: { NBPIPE_TASK: 'other' } };
    const pidOf = async (options: typeof ahead) => {
      const kernel = await KernelClient.start(spec, { launcher: kernels.launch, ...options });
      await kernel.shutdown();
      return kernel.pid;
    };
    const before = descendants();
    let started: number[];
    try {
      kernels.startAhead(spec, ahead);
      kernels.startAhead(spec, other);
      // until the processes started ahead (after the warm parent's imports, when forked) are all there
      expect(await kernels.problem(spec)).toBeUndefined();
      started = [];
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const now = [...descendants()].filter((pid) => !before.has(pid));
        if (now.length && now.length === started.length) break;
        started = now;
      }
      const taken = await pidOf(ahead);
      expect(started).toContain(taken);
      // taken once: the next launch for the same task starts another kernel
      expect(started).not.toContain(await pidOf(ahead));
      await kernels.discardAhead(spec, other);
    } finally {
      await kernels.close();
    }
    for (let i = 0; i < 100 && started.some((pid) => descendants().has(pid)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(started.filter((pid) => descendants().has(pid))).toEqual([]);
  }, 60000);
});
