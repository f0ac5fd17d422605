import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCell, markdownCell, emptyNotebook, parse, serialize } from '@nbpipe/nbformat';
import { CLI, nbpipe, ROOT, SYSTEM_PYTHON, tempDir, tempRepo } from './helpers.js';

// Notebook tasks on Debian's python3-ipykernel (kernelspec /usr/share/jupyter/kernels/python3, found
// through Jupyter's system data dir), through the built CLI.
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function project(files: Record<string, string>) {
  const repo = tempRepo();
  cleanups.push(repo.cleanup);
  for (const [path, text] of Object.entries(files)) repo.write(path, text);
  const run = (...args: string[]) => nbpipe(args, { cwd: repo.dir });
  return { ...repo, run, notebook: (path: string) => parse(repo.read(path)) };
}

const LOAD = `# %% tags=["parameters"]
upstream = None
product = None
rows = 3

# %%
print("loading", rows)
with open(product["data"], "w") as f:
    f.write("\\n".join(str(i) for i in range(rows)))

# %%
from IPython.display import HTML, display
display(HTML("<b>loaded</b>"))
rows * 2
`;

function usesNotebook(): string {
  const nb = emptyNotebook();
  nb.metadata.kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
  nb.cells.push(
    markdownCell('# Use', { id: 'm1' }),
    codeCell('upstream = ["load"]\nproduct = None', { id: 'p1', metadata: { tags: ['parameters'] } }),
    codeCell(
      'lines = open(upstream["load"]["data"]).read().split()\nopen(product["data"], "w").write(str(len(lines)))\nlen(lines)',
      { id: 'c1' },
    ),
  );
  return serialize(nb);
}

const PIPELINE = `tasks:
  - source: tasks/load.py
    product:
      nb: out/load.ipynb
      data: out/load.txt
    params:
      rows: 5
  - source: tasks/use.ipynb
    product:
      nb: out/use.html
      data: out/use.txt
`;

describe('notebook tasks on a Jupyter kernel', () => {
  it('runs scripts and notebooks with injected parameters and upstream, records outputs as Jupyter, writes .ipynb and .html reports', () => {
    const p = project({ 'pipeline.yaml': PIPELINE, 'tasks/load.py': LOAD, 'tasks/use.ipynb': usesNotebook() });
    const r = p.run('run', '--jobs', '1');
    expect(r.stderr).not.toMatch(/embedded python executor/);
    expect(r.code, r.stderr).toBe(0);
    const load = p.notebook('out/load.ipynb');
    const injected = load.cells.find((c) =>
      (c.metadata.tags as string[] | undefined)?.includes('injected-parameters'),
    )!;
    expect(injected.source).toContain(
      `product = {'nb': '${join(p.dir, 'out/load.ipynb')}', 'data': '${join(p.dir, 'out/load.txt')}'}`,
    );
    expect(injected.source).toContain('rows = 5');
    const outputs = load.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []));
    expect(outputs).toContainEqual({ output_type: 'stream', name: 'stdout', text: 'loading 5\n' });
    expect(outputs).toContainEqual(
      expect.objectContaining({
        output_type: 'display_data',
        data: expect.objectContaining({ 'text/html': '<b>loaded</b>' }),
      }),
    );
    expect(outputs).toContainEqual(
      expect.objectContaining({ output_type: 'execute_result', data: { 'text/plain': '10' } }),
    );
    expect(load.metadata.language_info?.name).toBe('python');
    // Jupyter's (nbclient's) timing metadata: the cells ran on a kernel, not on the embedded executor.
    expect(load.cells.at(-1)!.metadata.execution).toBeDefined();
    // upstream resolved: `use` read load's data product
    expect(p.read('out/use.txt')).toBe('5');
    const html = p.read('out/use.html');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('upstream');
    // products recorded: nothing is outdated
    expect(p.run('run', '--check').code).toBe(0);
  });

  it('a failing cell: the executed notebook is written with the failure marked, the error names the cell with its traceback, downstream does not run, exit 1', () => {
    const p = project({
      'pipeline.yaml': PIPELINE,
      'tasks/load.py': LOAD.replace('rows * 2', 'rows / 0'),
      'tasks/use.ipynb': usesNotebook(),
    });
    const r = p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'task load failed: tasks/load.py: cell 4 (In [4]) raised ZeroDivisionError: division by zero',
    );
    expect(r.stderr).toMatch(/ZeroDivisionError/);
    // the traceback (with the kernel's colours) shows the failing line
    expect(r.stderr.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/----> 3 rows \/ 0/);
    expect(r.stderr).toMatch(/use \(upstream load did not complete\)/);
    const nb = p.notebook('out/load.ipynb');
    expect(nb.cells[0]!.metadata.tags).toEqual(['nbpipe-error']);
    expect(nb.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []))).toContainEqual(
      expect.objectContaining({ output_type: 'error', ename: 'ZeroDivisionError' }),
    );
    expect(existsSync(join(p.dir, 'out/use.txt'))).toBe(false);
    expect(p.run('run', '--check').code).toBe(1);
  });

  it('a kernel that dies fails the task with a clear error', () => {
    const p = project({
      'pipeline.yaml': PIPELINE,
      'tasks/load.py': LOAD.replace('rows * 2', 'import os\nos._exit(3)'),
      'tasks/use.ipynb': usesNotebook(),
    });
    const r = p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/task load failed: tasks\/load\.py: the kernel died: cell 4/);
  });

  it('Ctrl-C interrupts the kernel: the task is not recorded, downstream does not start, exit 130', async () => {
    const p = project({
      'pipeline.yaml': PIPELINE,
      'tasks/load.py': LOAD.replace('rows * 2', 'import time\nprint("sleeping", flush=True)\ntime.sleep(120)'),
      'tasks/use.ipynb': usesNotebook(),
    });
    const child = spawn(process.execPath, [CLI, 'run'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
    while (!stderr.includes('start load')) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 4000)); // the kernel starts and reaches the sleeping cell
    const t0 = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(15000);
    expect(stderr).toMatch(/load \(interrupted\)/);
    expect(stderr).toMatch(/use \(upstream load did not complete\)/);
    expect(p.run('run', '--check').code).toBe(1);
  }, 40000);

  it('executor: python (per task, for the whole pipeline, or in the config) runs on the embedded executor', () => {
    const perTask = {
      'pipeline.yaml': PIPELINE.replace(
        '    params:\n      rows: 5',
        '    executor: python\n    params:\n      rows: 5',
      ),
    };
    const pipelineLevel = { 'pipeline.yaml': `executor: python\n${PIPELINE}` };
    const config = { 'pipeline.yaml': PIPELINE, '.nbpiperc.json': '{"pipeline": {"executor": "python"}}' };
    for (const files of [perTask, pipelineLevel, config]) {
      const p = project({ ...files, 'tasks/load.py': LOAD, 'tasks/use.ipynb': usesNotebook() });
      const r = p.run('run', 'load');
      expect(r.code, r.stderr).toBe(0);
      const load = p.notebook('out/load.ipynb');
      expect(load.cells.at(-1)!.metadata.execution).toBeUndefined();
      expect(p.read('out/load.txt').split('\n')).toHaveLength(5);
    }
  });
});

describe('on_finish, python callables, Ploomber keys', () => {
  const CALLABLE = `tasks:
  - source: tasks/load.py
    product:
      nb: out/load.ipynb
      data: out/load.txt
    on_finish: checks.at_least_rows
    params:
      rows: 2
  - source: functions.count
    product: out/count.txt
    params:
      label: lines
`;
  const FUNCTIONS = `def count(product, upstream, label):
    n = len(open(upstream["load"]["data"]).read().split())
    open(product, "w").write(f"{n} {label}")
`;
  const CHECKS = `def at_least_rows(product, params):
    n = len(open(product["data"]).read().split())
    assert n >= 3, f"only {n} rows in {product['data']} (rows={params['rows']})"
`;

  it('a failing on_finish check fails the task, says why, and leaves it outdated; a python callable gets product, upstream and params', () => {
    const p = project({
      'pipeline.yaml': CALLABLE,
      'tasks/load.py': LOAD,
      'functions.py': FUNCTIONS,
      'checks.py': CHECKS,
    });
    const failed = p.run('run');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'task load failed: on_finish checks.at_least_rows failed: AssertionError: only 2 rows in',
    );
    expect(failed.stderr).toContain('(rows=2)');
    expect(existsSync(join(p.dir, 'out/count.txt'))).toBe(false);
    expect(p.run('run', '--check').code).toBe(1);

    p.write('pipeline.yaml', CALLABLE.replace('rows: 2', 'rows: 4'));
    const ok = p.run('run');
    expect(ok.code, ok.stderr).toBe(0);
    expect(p.read('out/count.txt')).toBe('4 lines');
    expect(p.run('run', '--check').code).toBe(0);
  });

  it('on_finish and function tasks run on the interpreter of the Python kernel, and errors name it', () => {
    // A kernel whose argv[0] is a wrapper adding a module only it can import: the python3 on PATH cannot.
    const { dir: jupyter, cleanup } = tempDir();
    cleanups.push(cleanup);
    const wrapper = join(jupyter, 'wrapped-python');
    writeFileSync(join(jupyter, 'extra_only.py'), 'MIN_ROWS = 3\n');
    writeFileSync(wrapper, `#!/bin/sh\nPYTHONPATH=${jupyter} exec ${SYSTEM_PYTHON} "$@"\n`, { mode: 0o755 });
    mkdirSync(join(jupyter, 'kernels/python3'), { recursive: true });
    writeFileSync(
      join(jupyter, 'kernels/python3/kernel.json'),
      JSON.stringify({
        argv: [wrapper, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
        display_name: 'Python 3 (wrapped)',
        language: 'python',
      }),
    );
    const p = project({
      'pipeline.yaml': CALLABLE,
      'tasks/load.py': LOAD,
      'checks.py':
        'import extra_only\n\ndef at_least_rows(product):\n    n = len(open(product["data"]).read().split())\n    assert n >= extra_only.MIN_ROWS, f"only {n} rows"\n',
      'functions.py':
        'import extra_only\n\ndef count(product, upstream, label):\n    n = len(open(upstream["load"]["data"]).read().split())\n    open(product, "w").write(f"{n} {label}, at least {extra_only.MIN_ROWS}")\n',
    });
    const env = { ...process.env, JUPYTER_PATH: jupyter };
    const failed = nbpipe(['run'], { cwd: p.dir, env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `task load failed: on_finish checks.at_least_rows failed: AssertionError: only 2 rows (python: ${wrapper})`,
    );

    p.write('pipeline.yaml', p.read('pipeline.yaml').replace('rows: 2', 'rows: 4'));
    const ok = nbpipe(['run'], { cwd: p.dir, env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(p.read('out/count.txt')).toBe('4 lines, at least 3');
  });

  it('a shell on_finish command: its exit code decides, its output says why', () => {
    const p = project({
      'pipeline.yaml': CALLABLE.replace(
        'checks.at_least_rows',
        'test "$(wc -l < "$PRODUCT_DATA")" -ge 5 || { echo "too few rows in $PRODUCT_DATA"; exit 1; }',
      ),
      'tasks/load.py': LOAD,
      'functions.py': FUNCTIONS,
    });
    const r = p.run('run', 'load');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/on_finish `test .*` failed \(exit code 1\): too few rows in .*out\/load\.txt/);
  });

  it('static_analysis: strict checks params against the parameters cell; unsupported nbconvert_export_kwargs are reported by name', () => {
    const p = project({
      'pipeline.yaml': PIPELINE.replace(
        '    params:\n      rows: 5',
        '    static_analysis: strict\n    params:\n      rowz: 5',
      ).replace(
        '      data: out/use.txt\n',
        '      data: out/use.txt\n    nbconvert_export_kwargs:\n      exclude_input: true\n      template_name: lab\n',
      ),
      'tasks/load.py': LOAD,
      'tasks/use.ipynb': usesNotebook(),
    });
    const r = p.run('run');
    expect(r.stderr).toContain('nbconvert_export_kwargs template_name not supported');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'static_analysis: strict: unexpected params rowz (not in the parameters cell); missing params rows (declared in the parameters cell)',
    );
  });
});

describe('kernelspec_name', () => {
  it('names the kernel a notebook task runs on', () => {
    const p = project({
      'pipeline.yaml': PIPELINE.replace(
        '    params:\n      rows: 5',
        '    executor: jupyter\n    kernelspec_name: no-such-kernel\n    params:\n      rows: 5',
      ),
      'tasks/load.py': LOAD,
      'tasks/use.ipynb': usesNotebook(),
    });
    const r = p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/task load failed: tasks\/load\.py: no kernel named "no-such-kernel"; .*python3/);
    p.write(
      'pipeline.yaml',
      PIPELINE.replace('    params:\n      rows: 5', '    kernelspec_name: python3\n    params:\n      rows: 5'),
    );
    expect(p.run('run').code).toBe(0);
    expect(p.notebook('out/load.ipynb').metadata.kernelspec?.name).toBe('python3');
  });
});

describe('examples/ploomber', () => {
  it('runs unchanged, with --env sample=true and without', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    cpSync(join(ROOT, 'examples/ploomber'), dir, {
      recursive: true,
      filter: (src) => !src.includes('/products') && !src.includes('/backup'),
    });
    const sample = nbpipe(['run', '--env', 'sample=true'], { cwd: dir });
    expect(sample.code, sample.stderr).toBe(0);
    expect(readFileSync(join(dir, 'products/raw.csv'), 'utf8').trim().split('\n')).toHaveLength(21);
    const full = nbpipe(['run'], { cwd: dir });
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/ran 6, skipped 0/);
    expect(readFileSync(join(dir, 'products/raw.csv'), 'utf8').trim().split('\n')).toHaveLength(201);
    const summary = JSON.parse(readFileSync(join(dir, 'products/summary.json'), 'utf8')) as { min_amount: number }[];
    expect(summary.map((s) => s.min_amount)).toEqual([0, 10, 50]);
    expect(readFileSync(join(dir, 'products/last-build.txt'), 'utf8')).toContain('fit-50: ran\n');
    expect(readFileSync(join(dir, 'backup/products/fit-50-2.json'), 'utf8')).toContain('"min_amount": 50');
    const report = readFileSync(join(dir, 'products/clean.html'), 'utf8');
    expect(report).not.toContain('DictWriter'); // exclude_input: the code is hidden
    expect(nbpipe(['run', '--check'], { cwd: dir }).code).toBe(0);
  });
});
