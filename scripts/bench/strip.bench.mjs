#!/usr/bin/env node
/**
 * `nbpipe strip` over the 200-notebook generated corpus (32 MB, outputs everywhere) in one call, wall time including
 * Node start-up, on a fresh copy each round (strip rewrites in place). Target: 10× faster than nbstripout's 1.3 s for
 * the same corpus here, i.e. under 0.13 s. Also `--check` (reads and strips, writes nothing). Best of 5 rounds.
 * Run: npm run bench -- strip   (needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCorpus } from './generate.mjs';
import { ioFloorSeconds } from './io-floor.mjs';

const ROUNDS = 5;
const CLI = resolve(fileURLToPath(import.meta.url), '../../../packages/cli/bin/nbpipe.js');

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

function strip(args, cwd, expectedCode) {
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'strip', '--quiet', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== expectedCode)
    throw new Error(`nbpipe strip exited ${r.status}, expected ${expectedCode}: ${r.stderr}`);
  return seconds;
}

const corpus = benchCorpus();
const names = corpus.files.map((f) => basename(f));
const work = mkdtempSync(join(tmpdir(), 'nbpipe-bench-strip-'));
try {
  let inPlace = Infinity;
  let check = Infinity;
  let strippedSizes;
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(work, `round-${round}`);
    cpSync(corpus.dir, dir, { recursive: true });
    check = Math.min(check, strip(['--check', ...names], dir, 1));
    inPlace = Math.min(inPlace, strip(names, dir, 0));
    // Stripped notebooks pass the check: the in-place run really wrote them.
    strip(['--check', ...names], dir, 0);
    strippedSizes ??= names.map((name) => statSync(join(dir, name)).size);
    rmSync(dir, { recursive: true, force: true });
  }
  const mb = corpus.totalBytes / 1e6;
  emit(`nbpipe strip, ${names.length} notebooks (${mb.toFixed(0)} MB) in one call`, inPlace, 's', '< 0.13');
  emit('nbpipe strip, speed-up over nbstripout (1.3 s)', 1.3 / inPlace, '×', '>= 10');
  emit(`nbpipe strip --check, ${names.length} notebooks`, check, 's');
  // What no stripper can beat here: start Node, read the notebooks, rewrite each (atomically, as nbpipe does).
  const floorDir = join(work, 'floor');
  cpSync(corpus.dir, floorDir, { recursive: true });
  const jobs = names.map((name, k) => ({ input: name, output: name, bytes: strippedSizes[k] }));
  emit(
    `floor: node start + read ${names.length} notebooks + ${names.length} atomic rewrites, nothing else`,
    ioFloorSeconds(jobs, { cwd: floorDir }),
    's',
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
