#!/usr/bin/env node
// Notebook executor benchmark: the time a trivial notebook task (a percent script: parameters cell,
// one cell writing its product) takes on the embedded python executor, and the part of it that is
// nbpipe's own (the task's time minus a bare `python3 -c` doing the same work: start-up + write).
// For comparison, the same task on a Jupyter kernel (kernel start-up included), when one is installed.
// Needs the built packages (npm run build). Prints one JSON object per line (scripts/bench/run.mjs).
//
//   node scripts/bench/executor.bench.mjs [--tasks 20] [--kernel-tasks 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'packages/pipeline/dist/index.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TASKS = option('tasks', 20);
const KERNEL_TASKS = option('kernel-tasks', 3);

if (!existsSync(DIST)) {
  console.error('build first: npm run build');
  process.exit(2);
}
const { loadPipeline, runPipeline } = await import(pathToFileURL(DIST).href);

const SCRIPT = `# %% tags=["parameters"]
upstream = None
product = None
index = 0

# %%
with open(product["data"], "w") as f:
    f.write(str(index))
`;

/** A project of `n` independent trivial notebook tasks run by `executor`. */
function project(n, executor) {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-executor-bench-'));
  mkdirSync(join(dir, 'tasks'));
  writeFileSync(join(dir, 'tasks/t.py'), SCRIPT);
  let yaml = `executor: ${executor}\ntasks:\n`;
  for (let i = 0; i < n; i++)
    yaml += `  - source: tasks/t.py\n    name: t${i}\n    product:\n      nb: out/t${i}.ipynb\n      data: out/t${i}.txt\n    params:\n      index: ${i}\n`;
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  return dir;
}

/** Median per-task time (ms) of running every task once, one at a time. */
async function perTask(dir) {
  const p = await loadPipeline({ cwd: dir, lock: true });
  try {
    const summary = await runPipeline(p, { jobs: 1, force: true });
    if (summary.failed.length) throw new Error(`task failed: ${summary.failed[0].message}`);
    const times = summary.ran.map((r) => r.durationMs).sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    p.release();
  }
}

/** Median time (ms) of the same work in a bare interpreter: start-up and one small write. */
function bareInterpreter(dir) {
  const python = process.env.NBPIPE_PYTHON || 'python3';
  const times = [];
  for (let i = 0; i < TASKS; i++) {
    const t0 = performance.now();
    const r = spawnSync(python, ['-c', `open(${JSON.stringify(join(dir, 'bare.txt'))}, "w").write("${i}")`]);
    if (r.status !== 0) throw new Error(`${python} failed: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const embeddedDir = project(TASKS, 'python');
try {
  await perTask(embeddedDir); // warm caches (source analysis, interpreter files)
  const task = await perTask(embeddedDir);
  const bare = bareInterpreter(embeddedDir);
  console.log(
    JSON.stringify({ name: `embedded python executor, trivial task (median of ${TASKS})`, value: task, unit: 'ms' }),
  );
  console.log(JSON.stringify({ name: 'bare python3 start-up + write', value: Math.round(bare * 10) / 10, unit: 'ms' }));
  console.log(
    JSON.stringify({
      name: 'embedded python executor overhead per task',
      value: Math.round((task - bare) * 10) / 10,
      unit: 'ms',
      target: '< 100',
    }),
  );
} finally {
  rmSync(embeddedDir, { recursive: true, force: true });
}

if (KERNEL_TASKS > 0 && existsSync('/usr/share/jupyter/kernels/python3/kernel.json')) {
  const kernelDir = project(KERNEL_TASKS, 'jupyter');
  try {
    const task = await perTask(kernelDir);
    console.log(
      JSON.stringify({
        name: `jupyter executor, trivial task incl. kernel start (median of ${KERNEL_TASKS})`,
        value: task,
        unit: 'ms',
      }),
    );
  } finally {
    rmSync(kernelDir, { recursive: true, force: true });
  }
}
