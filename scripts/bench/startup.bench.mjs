#!/usr/bin/env node
/**
 * CLI start-up: wall time of whole `nbpipe` processes (Node's own start-up included), as a user or git
 * (drivers, filters) pays it. Runs each command repeatedly, interleaved, and reports the median and
 * the minimum; bare `node -e 0` is measured alongside for reference.
 * Needs `npm run build` (which also bundles the CLI). Run: npm run bench -- startup
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateNotebookText } from './generate.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'packages/cli/bin/nbpipe.js');
const UNBUNDLED = join(ROOT, 'packages/cli/dist/bin.js');
const RUNS = 30;

// bin/nbpipe.js runs the unbundled build when a package was rebuilt after the bundle: say so, since
// the figures would then not be those of a fresh `npm run build`.
const bundleDir = join(ROOT, 'packages/cli/dist/bundle');
const bundledAt = statSync(join(bundleDir, 'nbpipe.js'), { throwIfNoEntry: false })?.mtimeMs;
const stale =
  bundledAt === undefined
    ? ['(no bundle)']
    : JSON.parse(readFileSync(join(bundleDir, 'packages.json'), 'utf8')).filter(
        (pkg) =>
          (statSync(join(ROOT, 'packages/cli', pkg, 'tsconfig.tsbuildinfo'), { throwIfNoEntry: false })?.mtimeMs ?? 0) >
          bundledAt,
      );
if (stale.length)
  process.stderr.write(
    `warning: the CLI bundle is older than ${stale.join(', ')}; measuring the unbundled build (run npm run build)\n`,
  );

const dir = mkdtempSync(join(tmpdir(), 'nbpipe-startup-'));
const notebook = join(dir, 'analysis.ipynb');
writeFileSync(notebook, generateNotebookText(7, { targetBytes: 20_000 }));

const cases = [
  { name: 'node -e 0 (reference)', args: ['-e', '0'] },
  { name: 'nbpipe --version', args: [BIN, '--version'], target: '< 150' },
  { name: 'nbpipe --help', args: [BIN, '--help'] },
  { name: 'nbpipe fmt --check (one 20 KB notebook)', args: [BIN, 'fmt', '--check', notebook], target: '< 150' },
  { name: 'unbundled dist/bin.js --version (reference)', args: [UNBUNDLED, '--version'] },
];

const times = cases.map(() => []);
for (let round = 0; round < RUNS; round++) {
  cases.forEach((c, k) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, c.args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    times[k].push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  });
}
rmSync(dir, { recursive: true, force: true });

cases.forEach((c, k) => {
  const sorted = times[k].sort((a, b) => a - b);
  const emit = (name, value, target) =>
    process.stdout.write(
      JSON.stringify({ name, value: Number(value.toFixed(1)), unit: 'ms', ...(target ? { target } : {}) }) + '\n',
    );
  emit(`${c.name}, median`, sorted[Math.floor(sorted.length / 2)], c.target);
  emit(`${c.name}, min`, sorted[0]);
});
