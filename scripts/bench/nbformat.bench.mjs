#!/usr/bin/env node
/**
 * @nbpipe/nbformat throughput: parse (with validation) and serialize, in MB/s (10^6 bytes of notebook
 * text per second, file sizes in UTF-8), over the 200-notebook generated corpus and one 20 MiB notebook;
 * and the peak RSS of a process that reads, parses and serializes the 20 MiB notebook.
 * "parse" parses every text (keeping all the notebooks), "serialize" writes them all back, and
 * "parse+serialize" (the target) runs both on one notebook at a time, as `nbpipe fmt` does.
 * Texts are read into memory first: this measures the model, not the disk. Best of several rounds.
 * Run: npm run bench -- nbformat
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, serialize } from '@nbpipe/nbformat';
import { benchCorpus, benchNotebook } from './generate.mjs';

/** The target, on the generated corpus. */
const TARGET = '>= 100';

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(2)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

/** Best time (ms) of `rounds` runs of `fn`. */
function best(rounds, fn) {
  let min = Infinity;
  for (let k = 0; k < rounds; k++) {
    globalThis.gc?.();
    const start = performance.now();
    fn();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}

function measure(label, texts, rounds, target) {
  const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
  let notebooks = texts.map((t) => parse(t)); // warm-up, and the input of serialize
  for (const [k, nb] of notebooks.entries()) {
    if (serialize(nb) !== texts[k]) throw new Error(`${label}: notebook ${k} does not round-trip`);
  }
  const parseMs = best(rounds, () => {
    notebooks = texts.map((t) => parse(t));
  });
  const serializeMs = best(rounds, () => {
    for (const nb of notebooks) serialize(nb);
  });
  notebooks = undefined;
  // What `nbpipe fmt` does: each notebook parsed then serialized, one at a time.
  const bothMs = best(rounds, () => {
    for (const t of texts) serialize(parse(t));
  });
  const mbps = (ms) => bytes / 1e6 / (ms / 1000);
  emit(`parse, ${label}`, mbps(parseMs), 'MB/s');
  emit(`serialize, ${label}`, mbps(serializeMs), 'MB/s');
  emit(`parse+serialize, ${label}`, mbps(bothMs), 'MB/s', target);
}

if (process.argv[2] === '--peak-rss') {
  // Child mode: one notebook, read + parse + serialize, then report the peak resident set size.
  const nb = parse(readFileSync(process.argv[3], 'utf8'));
  serialize(nb);
  process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
} else {
  const corpus = benchCorpus();
  const texts = corpus.files.map((f) => readFileSync(f, 'utf8'));
  process.stderr.write(
    `corpus: ${corpus.files.length} notebooks, ${(corpus.totalBytes / 1e6).toFixed(1)} MB (${corpus.dir})\n`,
  );
  measure('200-notebook corpus', texts, 5, TARGET);

  const big = benchNotebook();
  const bigText = readFileSync(big, 'utf8');
  // No target: at this size the time is mostly V8's garbage collector (see BENCHMARKS.md).
  measure(`${(Buffer.byteLength(bigText) / 2 ** 20).toFixed(0)} MiB notebook`, [bigText], 5);

  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--peak-rss', big], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`peak RSS child failed: ${child.stderr}`);
  const baseline = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS * 1024))'],
    { encoding: 'utf8' },
  );
  emit('peak RSS, parse+serialize 20 MiB notebook', Number(child.stdout) / 2 ** 20, 'MiB');
  emit('peak RSS, bare node (for reference)', Number(baseline.stdout) / 2 ** 20, 'MiB');
}
