#!/usr/bin/env node
/**
 * `git add` of 500 changed notebooks (20 KB each, outputs everywhere) through nbpipe's long-running clean filter,
 * in a throw-away repository set up with `nbpipe install`: wall time of the whole command, best of 3. Target: 30×
 * faster than nbstripout's per-file clean filter (about 0.27 s a file here, so 135 s), i.e. under 4.5 s. Also
 * `git status` with all 500 stat-dirty (one more clean each), and the filter process's peak RSS.
 * Run: npm run bench -- filter   (needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from '@nbpipe/nbformat';
import { generateNotebook } from './generate.mjs';

const NOTEBOOKS = 500;
const NOTEBOOK_BYTES = 20_000;
const ROUNDS = 3;
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CLI = join(ROOT, 'packages/cli/bin/nbpipe.js');
const GIT_DRIVERS = join(ROOT, 'packages/cli/drivers/git-drivers.cjs');

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

function timed(fn) {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

/** Round `round` of re-executing notebook `i`: new execution counts and one new output. */
function executed(i, round) {
  const nb = generateNotebook(i + 1, { targetBytes: NOTEBOOK_BYTES });
  for (const cell of nb.cells)
    if (cell.cell_type === 'code' && cell.execution_count !== null) cell.execution_count += 100 * round;
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  code[code.length - 1]?.outputs.push({ output_type: 'stream', name: 'stdout', text: `round ${round}\n` });
  return serialize(nb);
}

const dir = mkdtempSync(join(tmpdir(), 'nbpipe-bench-filter-'));
try {
  sh('git', ['init', '-q', '-b', 'main'], dir);
  sh('git', ['config', 'user.email', 'bench@example.com'], dir);
  sh('git', ['config', 'user.name', 'Bench'], dir);
  sh(process.execPath, [CLI, 'install', '--quiet', '--hooks', 'none'], dir);
  for (let i = 0; i < NOTEBOOKS; i++) writeFileSync(join(dir, `nb-${i}.ipynb`), executed(i, 0));
  sh('git', ['add', '.'], dir);
  sh('git', ['commit', '-q', '-m', 'base'], dir);

  let add = Infinity;
  for (let round = 1; round <= ROUNDS; round++) {
    for (let i = 0; i < NOTEBOOKS; i++) writeFileSync(join(dir, `nb-${i}.ipynb`), executed(i, round));
    add = Math.min(
      add,
      timed(() => sh('git', ['add', '.'], dir)),
    );
  }
  const staged = sh('git', ['show', ':nb-0.ipynb'], dir).stdout;
  if (staged.includes('"output_type"') || staged.includes('round '))
    throw new Error('the staged notebook still has outputs');
  emit(
    `git add, ${NOTEBOOKS} changed notebooks of ${NOTEBOOK_BYTES / 1000} KB (nbpipe filter-process)`,
    add,
    's',
    '< 4.5',
  );
  emit('git add through the filter, per notebook', (add * 1000) / NOTEBOOKS, 'ms');
  emit('speed-up over nbstripout per-file clean filter (0.27 s a notebook)', (0.27 * NOTEBOOKS) / add, '×', '>= 30');

  // Touch every notebook: git status must clean each one again to know that nothing changed.
  for (let i = 0; i < NOTEBOOKS; i++)
    writeFileSync(join(dir, `nb-${i}.ipynb`), readFileSync(join(dir, `nb-${i}.ipynb`)));
  const status = timed(() => {
    const out = sh('git', ['status', '--porcelain'], dir).stdout;
    if (out.includes('nb-')) throw new Error(`git status shows notebooks as modified:\n${out.slice(0, 500)}`);
  });
  emit(`git status, ${NOTEBOOKS} touched notebooks`, status, 's');

  // Peak RSS: the same filter, started through a wrapper that reports its own peak on exit.
  const rssFile = join(dir, '.git', 'filter-rss');
  const wrapper = join(dir, '.git', 'rss-filter.mjs');
  writeFileSync(
    wrapper,
    `import { writeFileSync } from 'node:fs';\n` +
      `process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n` +
      `process.argv.splice(2, process.argv.length, 'filter-process');\n` +
      `(await import("node:module")).createRequire(import.meta.url)(${JSON.stringify(GIT_DRIVERS)});\n`,
  );
  sh('git', ['config', 'filter.nbpipe.process', `${JSON.stringify(process.execPath)} ${JSON.stringify(wrapper)}`], dir);
  for (let i = 0; i < NOTEBOOKS; i++) writeFileSync(join(dir, `nb-${i}.ipynb`), executed(i, ROUNDS + 1));
  sh('git', ['add', '.'], dir);
  emit('filter process peak RSS during that git add', Number(readFileSync(rssFile, 'utf8')) / 1024, 'MB');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
