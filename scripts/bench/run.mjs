#!/usr/bin/env node
/**
 * `npm run bench [-- NAME...] [--json FILE]`: runs every scripts/bench/*.bench.mjs (or those whose name
 * contains one of the NAMEs), each in its own Node process, and prints one table.
 *
 * A benchmark is a self-contained Node script that prints one JSON object per line on stdout:
 *   {"name": "parse+serialize, corpus", "value": 182.4, "unit": "MB/s", "target": ">= 100"}
 * `target` is optional: an operator (>=, >, <=, <) and a number in the same unit. Other stdout lines
 * and all of stderr are passed through (progress). Exit code: 0 if every benchmark ran and met its
 * targets, 1 if a target was missed, 2 if a benchmark failed.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** Whether `value` meets a target such as ">= 100"; undefined when there is none. */
export function meetsTarget(value, target) {
  if (target === undefined) return undefined;
  const m = /^\s*(>=|<=|>|<)\s*(-?[\d.]+)\s*$/.exec(String(target));
  if (!m) throw new Error(`unreadable target ${JSON.stringify(target)}`);
  const bound = Number(m[2]);
  return { '>=': value >= bound, '<=': value <= bound, '>': value > bound, '<': value < bound }[m[1]];
}

function runBenchmark(file) {
  return new Promise((resolvePromise) => {
    const results = [];
    const child = spawn(process.execPath, ['--expose-gc', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    const take = (line) => {
      if (!line.trim()) return;
      try {
        const result = JSON.parse(line);
        if (result && typeof result.name === 'string' && typeof result.value === 'number') {
          results.push(result);
          const mark = meetsTarget(result.value, result.target) === false ? '  MISSED' : '';
          process.stderr.write(
            `  ${result.name}: ${format(result.value)} ${result.unit ?? ''}${result.target ? ` (target ${result.target})` : ''}${mark}\n`,
          );
          return;
        }
      } catch {
        // not a result line: progress output
      }
      process.stderr.write(`  ${line}\n`);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      lines.forEach(take);
    });
    child.on('close', (code, signal) => {
      take(pending);
      resolvePromise({ results, ok: code === 0, exit: signal ?? code });
    });
  });
}

function format(value) {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function table(rows) {
  const header = ['benchmark', 'measure', 'value', 'unit', 'target', ''];
  const body = rows.map((r) => [
    r.bench,
    r.name,
    format(r.value),
    r.unit ?? '',
    r.target ?? '',
    r.met === false ? 'MISSED' : r.met ? 'ok' : '',
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...body.map((row) => row[k].length)));
  const line = (cells) =>
    cells
      .map((c, k) => (k === 2 ? c.padStart(widths[k]) : c.padEnd(widths[k])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'string' } } });
  const all = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.mjs'))
    .sort();
  const selected = positionals.length ? all.filter((f) => positionals.some((p) => f.includes(p))) : all;
  if (selected.length === 0) {
    process.stderr.write(
      `no benchmark matches ${positionals.join(', ')}; available: ${all.map((f) => basename(f, '.bench.mjs')).join(', ')}\n`,
    );
    return 2;
  }
  const rows = [];
  const failed = [];
  for (const file of selected) {
    const bench = basename(file, '.bench.mjs');
    process.stderr.write(`${bench}\n`);
    const { results, ok, exit } = await runBenchmark(join(BENCH_DIR, file));
    if (!ok) failed.push(`${bench} (exit ${exit})`);
    for (const r of results) rows.push({ bench, ...r, met: meetsTarget(r.value, r.target) });
  }
  process.stdout.write(`\n${table(rows)}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n');
  if (failed.length) {
    process.stderr.write(`failed: ${failed.join(', ')}\n`);
    return 2;
  }
  const missed = rows.filter((r) => r.met === false);
  if (missed.length) {
    process.stderr.write(`missed targets: ${missed.map((r) => `${r.bench}: ${r.name}`).join('; ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
