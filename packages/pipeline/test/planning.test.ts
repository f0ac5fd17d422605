import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '@nbpipe/test-support';
import { loadPipeline } from '../src/project.js';
import { evaluatePipeline } from '../src/status.js';

// Every file the pipeline package reads, to tell which ones planning opened.
vi.mock('node:fs', async (original) => {
  const actual = await original<typeof import('node:fs')>();
  return { ...actual, readFileSync: vi.fn(actual.readFileSync) };
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const NOTEBOOK = '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nx = 1\n';

describe('planning an unchanged pipeline', () => {
  it('reads no notebook source again: whether it may be paired is remembered by blob id', async () => {
    const { dir, cleanup } = tempDir('nbpipe-planning-');
    cleanups.push(cleanup);
    fs.writeFileSync(join(dir, 'pipeline.yaml'), 'tasks:\n  - {source: one.py, product: out/one.ipynb}\n');
    fs.writeFileSync(join(dir, 'one.py'), NOTEBOOK);
    // Older than the stat cache by more than a second: trusted by its stat data, as in a real checkout.
    const past = new Date(Date.now() - 10_000);
    fs.utimesSync(join(dir, 'one.py'), past, past);
    const first = await loadPipeline({ cwd: dir });
    expect(first.tasks[0]!.pair).toBeUndefined();
    first.pruneSourceCache();
    await first.state.save();

    const readFileSync = vi.mocked(fs.readFileSync);
    readFileSync.mockClear();
    const again = await loadPipeline({ cwd: dir });
    expect(evaluatePipeline(again)[0]!.reasons).toEqual(['never run']);
    const read = readFileSync.mock.calls.map(([path]) => String(path));
    expect(read.filter((path) => path.endsWith('one.py'))).toEqual([]);
  });
});
