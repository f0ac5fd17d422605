import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from '@nbpipe/nbformat';
import { loadPipeline } from '../src/project.js';
import { runPipeline, type RunEvent } from '../src/runner.js';
import { tempDir } from '@nbpipe/test-support';

// A machine without any Jupyter kernel: kernelspec discovery finds nothing.
vi.mock('@nbpipe/kernel', async (importOriginal) => {
  const kernel = await importOriginal<typeof import('@nbpipe/kernel')>();
  return {
    ...kernel,
    chooseKernelSpec: () => {
      throw new kernel.KernelError('NO_KERNELSPEC', 'no kernel for python; no kernels are installed');
    },
  };
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function project(files: Record<string, string>) {
  const { dir, cleanup } = tempDir('nbpipe-executor-');
  cleanups.push(cleanup);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const SCRIPT = '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nprint("hi")\n';

describe('default notebook executor without a Jupyter kernel', () => {
  it('runs python sources on the embedded executor and says so once', async () => {
    const dir = project({
      'pipeline.yaml':
        'tasks:\n  - {source: a.py, product: out/a.ipynb}\n  - {source: a.py, name: b, product: out/b.ipynb}\n',
      'a.py': SCRIPT,
    });
    const p = await loadPipeline({ cwd: dir, lock: true });
    const events: RunEvent[] = [];
    try {
      const summary = await runPipeline(p, { jobs: 1, onEvent: (e) => events.push(e) });
      expect(summary.failed).toEqual([]);
    } finally {
      p.release();
    }
    const notices = events.filter((e) => e.type === 'notice');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      message: expect.stringMatching(
        /^no Jupyter kernel for Python is installed: notebook tasks run on the embedded python executor/,
      ),
    });
    const nb = parse(readFileSync(join(dir, 'out/a.ipynb'), 'utf8'));
    expect(nb.cells.at(-1)).toMatchObject({ outputs: [{ output_type: 'stream', name: 'stdout', text: 'hi\n' }] });
  });

  it('an R source needs a kernel: neither the default nor `executor: python` runs it as Python', async () => {
    const r = '# %% tags=["parameters"]\nupstream <- NULL\nproduct <- NULL\n\n# %%\nx <- 1\n';
    const dir = project({
      'pipeline.yaml':
        'tasks:\n  - {source: a.R, product: out/a.ipynb}\n  - {source: a.R, name: b, executor: python, product: out/b.ipynb}\n',
      'a.R': r,
    });
    const p = await loadPipeline({ cwd: dir, lock: true });
    try {
      const summary = await runPipeline(p, { jobs: 1, keepGoing: true });
      expect(summary.failed.map((f) => f.message)).toEqual([
        'a.R: no kernel for python; no kernels are installed',
        'a.R: the embedded executor runs Python only, this is r: install a Jupyter kernel for it',
      ]);
    } finally {
      p.release();
    }
  });

  it('executor: jupyter fails the task with the kernel error', async () => {
    const dir = project({
      'pipeline.yaml': 'tasks:\n  - {source: a.py, executor: jupyter, product: out/a.ipynb}\n',
      'a.py': SCRIPT,
    });
    const p = await loadPipeline({ cwd: dir, lock: true });
    try {
      const summary = await runPipeline(p, { jobs: 1 });
      expect(summary.failed.map((f) => f.message)).toEqual(['a.py: no kernel for python; no kernels are installed']);
    } finally {
      p.release();
    }
  });
});
