#!/usr/bin/env node
/**
 * Notebook merge and diff speed (@nbpipe/merge, built).
 *  - Three-way merge of two 5 MB notebooks against their 5 MB base, as the merge driver does it: parse the three
 *    texts, merge, serialize. Target: under 300 ms wall. Also the merge step alone.
 *  - Diff throughput: 50 changed notebooks of 50 KB (parse both sides, diff, render for the terminal).
 * The notebooks come from scripts/bench/generate.mjs (deterministic); each side edits sources, re-runs cells with
 * new outputs (images included), inserts, deletes and moves cells, and changes metadata; some edits overlap so
 * that the merge also writes conflicts. Best of 5 rounds. Run: npm run bench -- merge
 */
import { parse, serialize } from '@nbpipe/nbformat';
import { diffNotebooks, mergeNotebooks, renderDiff } from '@nbpipe/merge';
import { generateNotebook } from './generate.mjs';

const BIG = 5_000_000;
const SMALL = 50_000;
const DIFFS = 50;
const ROUNDS = 5;

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

/** A seeded edit of a notebook: `variant` picks which cells change, so two sides overlap only in part. */
function editSide(nb, variant, donor) {
  const cells = structuredClone(nb.cells);
  const code = cells.filter((c) => c.cell_type === 'code');
  code.forEach((cell, k) => {
    if (k % 7 === variant) cell.source = `${cell.source}\n# checked (${variant})`;
    if (k % 11 === variant) cell.source = cell.source.replace(/\d/, String(variant));
    if (k % 9 === variant && cell.outputs.length) {
      // Re-run: the donor's outputs (other images and tables), a new execution count.
      const other = donor.cells.filter((c) => c.cell_type === 'code' && c.outputs.length)[k % 5];
      cell.outputs = structuredClone(other?.outputs ?? []);
      cell.execution_count = (cell.execution_count ?? 0) + 100;
    }
  });
  const at = (k) => k % cells.length;
  const [moved] = cells.splice(at(3 + variant), 1);
  cells.splice(Math.max(0, cells.length - 4 - variant), 0, moved);
  cells.splice(at(10 + variant * 5), 1);
  cells.splice(at(20 + variant), 0, {
    cell_type: 'markdown',
    id: `new-${variant}`,
    metadata: {},
    source: `## Added by side ${variant}`,
  });
  const metadata = { ...nb.metadata, language_info: { ...nb.metadata.language_info, version: `3.1${variant}.0` } };
  return { ...nb, metadata, cells };
}

function best(rounds, fn) {
  let min = Infinity;
  let result;
  for (let k = 0; k < rounds; k++) {
    globalThis.gc?.();
    const start = performance.now();
    result = fn();
    min = Math.min(min, performance.now() - start);
  }
  return { ms: min, result };
}

// ---- merge of two 5 MB notebooks
const base = generateNotebook(7, { targetBytes: BIG });
const donor = generateNotebook(8, { targetBytes: BIG / 5 });
const texts = [base, editSide(base, 1, donor), editSide(base, 2, donor)].map(serialize);
const megabytes = texts.map((t) => (Buffer.byteLength(t) / 1e6).toFixed(1)).join(' / ');
process.stderr.write(`  base / local / remote: ${megabytes} MB, ${base.cells.length} cells\n`);

const full = best(ROUNDS, () => {
  const [b, l, r] = texts.map((t) => parse(t));
  const { notebook, conflicts } = mergeNotebooks(b, l, r);
  return { text: serialize(notebook), conflicts };
});
process.stderr.write(
  `  merged: ${(Buffer.byteLength(full.result.text) / 1e6).toFixed(1)} MB, ${full.result.conflicts.length} conflicts\n`,
);
if (full.result.conflicts.length === 0) throw new Error('the benchmark edits should overlap and conflict');
emit('merge of two 5 MB notebooks (parse 3 + merge + serialize)', full.ms, 'ms', '< 300');
const parsed = texts.map((t) => parse(t));
emit('merge of two 5 MB notebooks, merge step only', best(ROUNDS, () => mergeNotebooks(...parsed)).ms, 'ms');

// ---- diff throughput over 50 changed notebooks
const pairs = Array.from({ length: DIFFS }, (_, k) => {
  const nb = generateNotebook(100 + k, { targetBytes: SMALL });
  return [serialize(nb), serialize(editSide(nb, k % 3, nb))];
});
const diffs = best(ROUNDS, () => {
  let lines = 0;
  for (const [a, b] of pairs)
    lines += renderDiff(diffNotebooks(parse(a), parse(b)), { color: false, fromLabel: 'a', toLabel: 'b' }).split(
      '\n',
    ).length;
  return lines;
});
emit(`diff + render of ${DIFFS} changed notebooks of 50 KB (in process)`, diffs.ms, 'ms');
emit('diff + render throughput', (DIFFS * 1000) / diffs.ms, 'notebooks/s');

const bigDiff = best(ROUNDS, () => renderDiff(diffNotebooks(parsed[0], parsed[1]), { color: false }));
emit('diff + render of a 5 MB notebook pair (parsed)', bigDiff.ms, 'ms');
