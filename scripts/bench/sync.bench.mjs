#!/usr/bin/env node
/**
 * `nbpipe sync` over the 200-notebook generated corpus paired with py:percent scripts (jupytext.toml), in one call,
 * wall time including Node start-up. Three runs per round: creating the 200 scripts, `--check` on pairs in step,
 * and syncing after a cell was appended to every script (the .ipynb files keep their outputs). Best of 3 rounds.
 * No target is set by the issue; this records where we stand.
 * Run: npm run bench -- sync   (needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCorpus } from './generate.mjs';

const ROUNDS = 3;
const CLI = resolve(fileURLToPath(import.meta.url), '../../../packages/cli/bin/nbpipe.js');

function emit(name, value, unit) {
  process.stdout.write(JSON.stringify({ name, value: Number(value.toFixed(3)), unit }) + '\n');
}

function sync(args, cwd, expectedCode) {
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'sync', '--quiet', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, JUPYTEXT_CEILING_DIRECTORIES: cwd },
  });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== expectedCode)
    throw new Error(`nbpipe sync exited ${r.status}, expected ${expectedCode}: ${r.stderr}`);
  return seconds;
}

const corpus = benchCorpus();
const names = corpus.files.map((f) => basename(f));
const work = mkdtempSync(join(tmpdir(), 'nbpipe-bench-sync-'));
try {
  const best = { create: Infinity, check: Infinity, edited: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(work, `round-${round}`);
    cpSync(corpus.dir, dir, { recursive: true });
    spawnSync('git', ['init', '-q'], { cwd: dir });
    writeFileSync(join(dir, 'jupytext.toml'), 'formats = "ipynb,py:percent"\n');
    best.create = Math.min(best.create, sync(names, dir, 0));
    best.check = Math.min(best.check, sync(['--check', ...names], dir, 0));
    const later = Date.now() / 1000 + 60;
    for (const name of names) {
      const script = join(dir, name.replace(/\.ipynb$/, '.py'));
      appendFileSync(script, '\n# %%\nadded = 1\n');
      utimesSync(script, later, later);
    }
    best.edited = Math.min(best.edited, sync(names, dir, 0));
    // The edits really reached the notebooks: the pairs are in step again.
    sync(['--check', ...names], dir, 0);
    rmSync(dir, { recursive: true, force: true });
  }
  const mb = (corpus.totalBytes / 1e6).toFixed(0);
  emit(`nbpipe sync, create ${names.length} py:percent partners (${mb} MB of notebooks)`, best.create, 's');
  emit(`nbpipe sync --check, ${names.length} pairs in step`, best.check, 's');
  emit(`nbpipe sync, ${names.length} edited scripts into their notebooks`, best.edited, 's');
} finally {
  rmSync(work, { recursive: true, force: true });
}
