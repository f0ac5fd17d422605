import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, type CodeCell } from '@nbpipe/nbformat';
import { loadPipeline, type Pipeline } from '../src/project.js';
import { evaluatePipeline } from '../src/status.js';
import { runPipeline, type RunEvent } from '../src/runner.js';
import { acquireLock, PipelineLockedError, StateStore } from '../src/state.js';
import { renderShellScript } from '../src/executors/shell.js';
import { taskEnvironment } from '../src/executors/process.js';
import { tempDir } from '@nbpipe/test-support';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A project outside any git repository: every file is hashed in process. */
function project(files: Record<string, string>) {
  const { dir, cleanup } = tempDir('nbpipe-runner-');
  cleanups.push(cleanup);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { dir, write, read: (path: string) => readFileSync(join(dir, path), 'utf8') };
}

async function runAll(dir: string, options: { force?: boolean; targets?: string[]; keepGoing?: boolean } = {}) {
  const p = await loadPipeline({ cwd: dir, lock: true });
  const events: RunEvent[] = [];
  try {
    const summary = await runPipeline(p, { jobs: 2, ...options, onEvent: (e) => events.push(e) });
    return { summary, ran: summary.ran.map((r) => r.name).sort(), events };
  } finally {
    p.release();
  }
}

const reasons = async (dir: string) => {
  const p: Pipeline = await loadPipeline({ cwd: dir });
  return Object.fromEntries(evaluatePipeline(p).map((s) => [s.name, s.reasons]));
};

const PIPELINE = `tasks:
  - {source: a.sh, product: out/a.txt, params: {n: 1}}
  - {source: b.sh, product: out/b.txt, inputs: ['data/*.csv']}
  - {source: c.sh, product: {one: out/c1.txt, two: out/c2.txt}}
`;

describe('runner outside git', () => {
  it('runs in order, records, and explains every reason to run again', async () => {
    const w = project({
      'pipeline.yaml': PIPELINE,
      'a.sh': 'echo "a $PARAM_N" > {{product}}\n',
      'b.sh': `cat {{upstream['a']}} data/*.csv > {{product}}\n`,
      'c.sh': `cat {{upstream['b']}} > {{product['one']}}\necho two > "$PRODUCT_TWO"\n`,
      'data/x.csv': '1,2\n',
    });
    expect(await reasons(w.dir)).toEqual({
      a: ['never run'],
      b: ['never run', 'upstream a outdated'],
      c: ['never run', 'upstream b outdated'],
    });
    expect((await runAll(w.dir)).ran).toEqual(['a', 'b', 'c']);
    expect(w.read('out/c1.txt')).toBe('a 1\n1,2\n');
    expect((await runAll(w.dir)).ran).toEqual([]);

    w.write('pipeline.yaml', PIPELINE.replace('n: 1', 'n: 2'));
    w.write('data/y.csv', '3\n');
    w.write('out/c2.txt', 'changed by hand\n');
    expect(await reasons(w.dir)).toEqual({
      a: ['params changed'],
      b: ['input data/y.csv changed', 'upstream a outdated'],
      c: ['product modified', 'upstream b outdated'],
    });
    expect((await runAll(w.dir)).ran).toEqual(['a', 'b', 'c']);

    // Re-running an upstream task alone makes its downstream outdated.
    expect((await runAll(w.dir, { targets: ['a'], force: true })).ran).toEqual(['a']);
    expect(await reasons(w.dir)).toEqual({ a: [], b: ['upstream a re-ran'], c: ['upstream b outdated'] });
    w.write('b.sh', 'echo b > {{product}}\n');
    expect((await reasons(w.dir)).b).toEqual(['source changed', 'upstream changed']);
  });

  it('never records the products of a failed task, and blocks its downstream', async () => {
    const w = project({
      'pipeline.yaml': PIPELINE,
      'a.sh': 'echo a > {{product}}\nexit 1\n',
      'b.sh': 'cat {{upstream["a"]}} > {{product}}\n',
      'c.sh': 'cat {{upstream["b"]}} > {{product["one"]}}; echo c > {{product["two"]}}\n',
    });
    const first = await runAll(w.dir);
    expect(first.summary.failed.map((f) => [f.name, f.message])).toEqual([['a', 'a.sh exited with code 1']]);
    expect(first.summary.blocked.sort()).toEqual(['b', 'c']);
    expect((await reasons(w.dir)).a).toEqual(['last run failed']);
    // A task that exits 0 without its products fails too.
    w.write('a.sh', 'rm -f {{product}}\necho "forgot the product"\n');
    const second = await runAll(w.dir);
    expect(second.summary.failed[0]?.message).toMatch(/^ran successfully but did not create out\/a\.txt$/);
  });

  it('takes the lock once; a lock left by a dead process is taken over', () => {
    const w = project({ 'pipeline.yaml': 'tasks: []\n' });
    const store = new StateStore(w.dir);
    const release = acquireLock(store.dir);
    // Held by a live process (here: our parent, which is alive and is not us).
    writeFileSync(join(store.dir, 'lock'), `${process.ppid}\n`);
    expect(() => acquireLock(store.dir)).toThrow(PipelineLockedError);
    expect(() => acquireLock(store.dir)).toThrow(`locked by pid ${process.ppid}`);
    writeFileSync(join(store.dir, 'lock'), '999999999\n');
    const again = acquireLock(store.dir);
    expect(readFileSync(join(store.dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    again();
    release();
  });
});

describe('shell tasks', () => {
  const job = {
    product: { nb: '/p/out/x.ipynb', data: '/p/out/x.csv' },
    upstream: { get: '/p/out/raw.csv', 'fit-*': { 'fit-1': '/p/out/fit-1.txt' } },
    params: { sample: true, n: 3, name: 'x' },
  };

  it('renders Ploomber placeholders and leaves other braces alone', () => {
    const script = `cp {{upstream['get']}} {{ product["data"] }}
echo {{upstream['fit-*']['fit-1']}} {{product.nb}} {{sample}} {{params.n}}
docker inspect -f '{{.State.Running}}' c
`;
    expect(renderShellScript(script, job, 'x.sh')).toBe(`cp /p/out/raw.csv /p/out/x.csv
echo /p/out/fit-1.txt /p/out/x.ipynb True 3
docker inspect -f '{{.State.Running}}' c
`);
    expect(() => renderShellScript('ok\necho {{upstream["nope"]}}\n', job, 'x.sh')).toThrow(
      /^x\.sh:2: \{\{upstream\["nope"\]\}\}: upstream\["nope"\] is not defined/,
    );
  });

  it('passes the same values as environment variables', () => {
    expect(taskEnvironment({ name: 't', ...job })).toEqual({
      NBPIPE_TASK: 't',
      PRODUCT: JSON.stringify(job.product),
      PRODUCT_NB: '/p/out/x.ipynb',
      PRODUCT_DATA: '/p/out/x.csv',
      UPSTREAM_GET: '/p/out/raw.csv',
      UPSTREAM_FIT__: JSON.stringify(job.upstream['fit-*']),
      UPSTREAM_FIT___FIT_1: '/p/out/fit-1.txt',
      PARAM_SAMPLE: 'True',
      PARAM_N: '3',
      PARAM_NAME: 'x',
    });
  });
});

describe('embedded python executor', () => {
  it('runs cells in one interpreter and records outputs as Jupyter does', async () => {
    const w = project({
      'pipeline.yaml':
        'tasks:\n  - {source: nb.py, executor: python, product: {nb: out/nb.ipynb, data: out/data.txt}, params: {k: 2}}\n',
      'nb.py': `# %% tags=["parameters"]
upstream = None
product = None
k = 1

# %%
import subprocess, sys
print("a"); print("b", file=sys.stderr); print("c")
subprocess.run(["echo", "from a child process"])
total = k * 21
total

# %%
open(product["data"], "w").write(str(total))
def f():
    return 1 / 0

# %% tags=["raises-exception"]
f()

# %%
"last"
`,
    });
    const r = await runAll(w.dir);
    expect(r.summary.failed).toEqual([]);
    expect(w.read('out/data.txt')).toBe('42');
    const nb = parse(w.read('out/nb.ipynb'));
    const code = nb.cells.filter((c): c is CodeCell => c.cell_type === 'code');
    expect(code.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(code[1]!.metadata.tags).toEqual(['injected-parameters']);
    expect(code[1]!.source).toContain('k = 2\n');
    expect(code[2]!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\n' },
      { output_type: 'stream', name: 'stderr', text: 'b\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\nfrom a child process\n' },
      { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '42' }, metadata: {} },
    ]);
    const error = code[4]!.outputs[0]!;
    expect(error).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero' });
    // The traceback starts in the cell (no driver frames) and shows the cell's code.
    const tb = error.output_type === 'error' ? error.traceback.join('\n') : '';
    expect(tb).toMatch(/^Traceback \(most recent call last\):\n {2}File "<cell \d+>", line 1, in <module>\n {4}f\(\)/);
    expect(tb).not.toContain('nbpipe_driver');
    expect(code[5]!.outputs).toEqual([
      { output_type: 'execute_result', execution_count: 6, data: { 'text/plain': "'last'" }, metadata: {} },
    ]);
    expect(nb.metadata.language_info?.name).toBe('python');
  });

  it("keeps output written to fds 1 and 2 in order with the cell's own output, however much there is", async () => {
    const w = project({
      'pipeline.yaml': 'tasks:\n  - {source: nb.py, executor: python, product: {nb: out/nb.ipynb}}\n',
      'nb.py': `# %% tags=["parameters"]
upstream = None
product = None

# %%
import os, subprocess, sys, threading, multiprocessing
subprocess.run([sys.executable, "-c", "import sys; sys.stdout.write('x' * 300000 + '\\\\n')"])
print("after the child")
os.write(2, b"straight to fd 2\\n")
print("printed to stderr", file=sys.stderr)
t = threading.Thread(target=print, args=("from a thread",)); t.start(); t.join()
p = multiprocessing.get_context("fork").Process(target=print, args=("from a forked child",)); p.start(); p.join()
print("end")
len("ok")

# %%
os._exit(3)
`,
    });
    const r = await runAll(w.dir);
    expect(r.summary.failed).toMatchObject([{ name: 'nb', message: expect.stringMatching(/exited with code 3/) }]);
    const nb = parse(w.read('out/nb.ipynb'));
    const outputs = (nb.cells[2] as CodeCell).outputs;
    expect(outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: `${'x'.repeat(300000)}\nafter the child\n` },
      { output_type: 'stream', name: 'stderr', text: 'straight to fd 2\nprinted to stderr\n' },
      { output_type: 'stream', name: 'stdout', text: 'from a thread\nfrom a forked child\nend\n' },
      { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '2' }, metadata: {} },
    ]);
  });
});
