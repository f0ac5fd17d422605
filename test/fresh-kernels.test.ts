// End-to-end: kernels forked from a warm parent are fresh (README "Fresh kernels"), on Debian's python3-ipykernel.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findKernelSpec,
  KernelClient,
  KernelFactory,
  type ExecuteResult,
  type JupyterKernelSpec,
} from '@nbpipe/kernel';
import { CLI, nbpipe, SYSTEM_PYTHON, tempDir, tempRepo } from './helpers.js';

const temp = tempDir('nbpipe-fresh-');
const dataDirs = [join(temp.dir, 'jupyter')];
const kernelDir = join(dataDirs[0]!, 'kernels', 'py-fresh');
mkdirSync(kernelDir, { recursive: true });
writeFileSync(
  join(kernelDir, 'kernel.json'),
  JSON.stringify({
    argv: [SYSTEM_PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    display_name: 'Fresh',
    language: 'python',
    env: { PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  }),
);
const spec: JupyterKernelSpec = findKernelSpec('py-fresh', { dataDirs });
const factories: KernelFactory[] = [];
afterAll(async () => {
  await Promise.all(factories.map((f) => f.close()));
  temp.cleanup();
});

function factory(options: ConstructorParameters<typeof KernelFactory>[0] = {}): KernelFactory {
  const made = new KernelFactory(options);
  factories.push(made);
  return made;
}

/** What the code printed, as JSON. */
const printed = (result: ExecuteResult): unknown => {
  expect(result.status, JSON.stringify(result.error)).toBe('ok');
  return JSON.parse(result.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join(''));
};

async function withKernel<T>(
  kernels: KernelFactory,
  options: { cwd: string; env?: Record<string, string> },
  use: (kernel: KernelClient) => Promise<T>,
): Promise<T> {
  const kernel = await KernelClient.start(spec, { launcher: kernels.launch, ...options });
  try {
    return await use(kernel);
  } finally {
    await kernel.shutdown();
  }
}

describe('kernels forked from a warm parent', () => {
  it('start where no earlier task ran: no names, imports, cwd, environment or random state of it', async () => {
    const kernels = factory();
    const first = join(temp.dir, 'first');
    const second = join(temp.dir, 'second');
    for (const dir of [first, second]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(first, 'task_module.py'), 'VALUE = 1\n');
    const probe =
      'import json, os, random, sys\n' +
      'print(json.dumps({"names": sorted(n for n in ("left_behind", "task_module") if n in globals()), "imported": "task_module" in sys.modules, ' +
      '"cwd": os.getcwd(), "first": os.environ.get("FIRST_ONLY"), "second": os.environ.get("SECOND_ONLY"), "random": random.random(), "forked": os.getppid() != ' +
      `${process.pid}}))`;
    const before = await withKernel(kernels, { cwd: first, env: { FIRST_ONLY: '1' } }, async (kernel) => {
      const seen = printed(await kernel.execute(probe)) as Record<string, unknown>;
      // what a task leaves behind: a name, an imported module, a changed directory and environment, a seeded generator
      await kernel.execute(
        'import task_module\nleft_behind = 1\nos.chdir("/")\nos.environ["SECOND_ONLY"] = "leaked"\nrandom.seed(0)',
      );
      return seen;
    });
    expect(before).toMatchObject({ names: [], imported: false, cwd: first, first: '1', second: null, forked: true });
    const after = await withKernel(
      kernels,
      { cwd: second, env: { SECOND_ONLY: '2' } },
      async (kernel) => printed(await kernel.execute(probe)) as Record<string, unknown>,
    );
    expect(after).toMatchObject({ names: [], imported: false, cwd: second, first: null, second: '2', forked: true });
    expect(after.random).not.toBe(before.random);
    // a task that seeds gets the same numbers as on a launched kernel
    const seeded = await withKernel(kernels, { cwd: second }, async (kernel) =>
      printed(await kernel.execute('import random\nrandom.seed(7)\nprint(random.random())')),
    );
    expect(seeded).toBe(0.32383276483316237);
  });

  it('import the preloaded modules in the parent, and only those', async () => {
    const probe = 'import sys\nprint("true" if "tomllib" in sys.modules else "false")';
    expect(await withKernel(factory(), { cwd: temp.dir }, async (kernel) => printed(await kernel.execute(probe)))).toBe(
      false,
    );
    expect(
      await withKernel(factory({ preload: ['tomllib'] }), { cwd: temp.dir }, async (kernel) =>
        printed(await kernel.execute(probe)),
      ),
    ).toBe(true);
  });

  it('fall back on launching the kernel when the warm parent cannot start, and say why', async () => {
    const kernels = factory({ preload: ['no_such_module_here'] });
    const pid = await withKernel(kernels, { cwd: temp.dir }, async (kernel) =>
      printed(await kernel.execute(`import os\nprint("true" if os.getppid() == ${process.pid} else "false")`)),
    );
    expect(pid).toBe(true);
    expect(await kernels.problem(spec)).toMatch(/ModuleNotFoundError: No module named 'no_such_module_here'/);
  });

  it('run python calls in children that cannot hurt the next one: sys.exit, a crash, a leftover module', async () => {
    const kernels = factory();
    const dir = join(temp.dir, 'calls');
    mkdirSync(dir, { recursive: true });
    const run = async (code: string) => {
      const output = join(dir, 'output.log');
      writeFileSync(output, '');
      const child = await kernels.runPython(spec, { code, stdin: join(dir, 'input.txt'), cwd: dir, output });
      expect(child).toBeDefined();
      return { ...(await child!.exited), output: readFileSync(output, 'utf8') };
    };
    writeFileSync(join(dir, 'input.txt'), 'from stdin');
    expect(await run('import sys\nsys.exit(4)')).toMatchObject({ code: 4, signal: null });
    expect(await run('import os, signal\nos.kill(os.getpid(), signal.SIGKILL)')).toMatchObject({
      code: null,
      signal: 'SIGKILL',
    });
    expect(await run('import sys, json\nsys.modules["json"].leftover = 1')).toMatchObject({ code: 0 });
    expect(
      await run('import sys, os\nprint(sys.stdin.read(), hasattr(sys.modules["json"], "leftover"), os.getcwd())'),
    ).toEqual({ code: 0, signal: null, output: `from stdin False ${dir}\n` });
    expect(await run('raise ValueError("bad")')).toMatchObject({
      code: 1,
      output: expect.stringContaining('ValueError: bad'),
    });
  });
});

/** Whether a process runs (a zombie waiting for its reaper counts as gone). */
const alive = (pid: number) =>
  existsSync(`/proc/${pid}/stat`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

describe('nbpipe run with fresh kernels', () => {
  it('says so when its warm parent cannot start (a preload that fails), and runs the tasks on launched kernels', () => {
    const repo = tempRepo();
    try {
      repo.write('.nbpiperc.json', JSON.stringify({ pipeline: { preload: ['no_such_module_xyz'] } }));
      repo.write('pipeline.yaml', 'tasks:\n  - {source: t.py, product: {nb: out/t.ipynb}}\n');
      repo.write('t.py', '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\n1 + 1\n');
      const r = nbpipe(['run'], { cwd: repo.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /kernel "python3" is started for each task, not forked from a warm parent: .*No module named 'no_such_module_xyz'/,
      );
    } finally {
      repo.cleanup();
    }
  });

  it('Ctrl-C stops a function task forked from the warm parent: exit 130, its process gone, the task not recorded', async () => {
    const repo = tempRepo();
    try {
      repo.write('pipeline.yaml', 'tasks:\n  - {source: slow.wait, product: out/done.txt}\n');
      repo.write(
        'slow.py',
        'import os, time\n\ndef wait(product):\n    open("pid", "w").write(f"{os.getpid()} {os.getppid()}")\n    time.sleep(60)\n    open(product, "w").write("done")\n',
      );
      const child = spawn(process.execPath, [CLI, 'run'], {
        cwd: repo.dir,
        stdio: 'ignore',
        env: { ...process.env, NO_COLOR: '1' },
      });
      const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
      const pidFile = join(repo.dir, 'pid');
      for (let i = 0; i < 400 && !(existsSync(pidFile) && readFileSync(pidFile, 'utf8')); i++)
        await new Promise((r) => setTimeout(r, 50));
      const [pid, parent] = readFileSync(pidFile, 'utf8').split(' ').map(Number);
      expect(parent).not.toBe(child.pid); // forked from the warm parent, not started by nbpipe
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(alive(pid!)).toBe(false);
      expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(1);
    } finally {
      repo.cleanup();
    }
  }, 40000);

  it.each([
    ['kernel', ''],
    ['embedded executor', 'executor: python\n'],
  ])('leaves no warm parent and no %s behind when the run is killed with SIGKILL', async (_what, executor) => {
    const repo = tempRepo();
    try {
      repo.write('pipeline.yaml', `${executor}tasks:\n  - {source: slow.py, product: {nb: out/slow.ipynb}}\n`);
      repo.write(
        'slow.py',
        '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nimport os, time\nopen("pids", "w").write(f"{os.getpid()} {os.getppid()}")\ntime.sleep(60)\n',
      );
      const child = spawn(process.execPath, [CLI, 'run'], {
        cwd: repo.dir,
        stdio: 'ignore',
        env: { ...process.env, NO_COLOR: '1' },
      });
      const pids = join(repo.dir, 'pids');
      for (let i = 0; i < 400 && !(existsSync(pids) && readFileSync(pids, 'utf8').includes(' ')); i++)
        await new Promise((r) => setTimeout(r, 50));
      const [kernel, parent] = readFileSync(pids, 'utf8').split(' ').map(Number);
      expect(parent).not.toBe(child.pid); // forked from the warm parent, not launched by nbpipe
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 100 && (alive(kernel!) || alive(parent!)); i++) await new Promise((r) => setTimeout(r, 50));
      expect({ kernel: alive(kernel!), parent: alive(parent!) }).toEqual({ kernel: false, parent: false });
    } finally {
      repo.cleanup();
    }
  });
});
