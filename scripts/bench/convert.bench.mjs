#!/usr/bin/env node
/**
 * `nbpipe convert`: the 200-notebook generated corpus to py:percent in one CLI call (issue 3: ≥ 20× faster
 * than jupytext's 2.7 s, i.e. < 135 ms), one notebook converted by a whole CLI process (< 150 ms, Node's
 * start-up included), and the codec alone in-process for reference.
 * Needs `npm run build`. Run: npm run bench -- convert
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@nbpipe/nbformat';
import { notebookToText } from '@nbpipe/codec';
import { benchCorpus, generateNotebookText } from './generate.mjs';
import { ioFloorSeconds } from './io-floor.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'packages/cli/bin/nbpipe.js');

const emit = (name, value, unit, target) =>
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(1)), unit, ...(target ? { target } : {}) }) + '\n',
  );
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time of one CLI process, in ms. */
function timeCli(args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`nbpipe ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const corpus = benchCorpus();
const dir = mkdtempSync(join(tmpdir(), 'nbpipe-convert-bench-'));
try {
  const names = corpus.files.map((file) => {
    copyFileSync(file, join(dir, basename(file)));
    return basename(file);
  });
  process.stderr.write(`convert: ${names.length} notebooks, ${(corpus.totalBytes / 2 ** 20).toFixed(1)} MB\n`);

  // The corpus in one call (writes one .py beside each notebook; later runs rewrite the same files).
  const corpusTimes = [];
  for (let run = 0; run < 7; run++) corpusTimes.push(timeCli(['convert', ...names, '--to', 'py:percent'], dir));
  emit(`nbpipe convert, ${names.length} notebooks → py:percent, one call, median`, median(corpusTimes), 'ms', '< 135');
  emit(
    `nbpipe convert, ${names.length} notebooks, speed-up over jupytext (2.7 s)`,
    2700 / median(corpusTimes),
    'x',
    '>= 20',
  );
  // What no converter can beat here: start Node, read the notebooks, write the scripts (atomically, as nbpipe does).
  const jobs = names.map((name) => {
    const output = name.replace(/\.ipynb$/, '.py');
    return { input: name, output, bytes: statSync(join(dir, output)).size };
  });
  emit(
    `floor: node start + read ${names.length} notebooks + ${names.length} atomic writes, nothing else`,
    ioFloorSeconds(jobs, { cwd: dir }) * 1000,
    'ms',
  );

  // One typical notebook, the way a user or a hook runs it.
  const single = join(dir, 'single.ipynb');
  writeFileSync(single, generateNotebookText(11, { targetBytes: 50_000 }));
  const singleTimes = [];
  for (let run = 0; run < 20; run++) singleTimes.push(timeCli(['convert', 'single.ipynb', '--to', 'py:percent'], dir));
  emit(
    'nbpipe convert, one 50 KB notebook → py:percent, wall incl. Node start-up, median',
    median(singleTimes),
    'ms',
    '< 150',
  );

  // The codec alone: notebook objects to text.
  const notebooks = corpus.files.map((file) => parse(readFileSync(file, 'utf8')));
  const codecTimes = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (const nb of notebooks) notebookToText(nb, 'py:percent');
    codecTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  emit(`notebookToText py:percent, ${notebooks.length} parsed notebooks, in-process, median`, median(codecTimes), 'ms');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
