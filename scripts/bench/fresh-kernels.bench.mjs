#!/usr/bin/env node
// Fresh kernels benchmark (README "Fresh kernels"): what a trivial task costs when each one gets a fresh
// Python kernel forked from the run's warm parent (the next one started while the current task runs), or
// runs on the embedded executor (its driver forked too), against the floor measured in the same run (a bare
// `python3 -c pass`, and a bare fork of the warm parent). Chains of trivial notebook tasks (each
// waits for the previous one), a function task and an `on_finish` check. Ploomber needed about 39 s
// for the chain of 12 and 78 s for the chain of 50 on the development machine (one papermill kernel each).
// Needs the built packages (npm run build) and the system Python kernel (python3-ipykernel).
// Prints one JSON object per line (scripts/bench/run.mjs).
//
//   node scripts/bench/fresh-kernels.bench.mjs [--chains 12,50] [--calls 10] [--launched]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PIPELINE = join(ROOT, 'packages/pipeline/dist/index.js');
const KERNEL = join(ROOT, 'packages/kernel/dist/index.js');
const SPEC = '/usr/share/jupyter/kernels/python3/kernel.json';
const { values } = parseArgs({
  options: {
    chains: { type: 'string', default: '12,50' },
    calls: { type: 'string', default: '10' },
    launched: { type: 'boolean', default: false },
  },
});
const CHAINS = values.chains.split(',').map(Number).filter(Boolean);
const CALLS = Number(values.calls);

if (!existsSync(PIPELINE)) {
  console.error('build first: npm run build');
  process.exit(2);
}
if (!existsSync(SPEC)) {
  console.error(`skipped: no system Python kernel (${SPEC})`);
  process.exit(0);
}
const { loadPipeline, runPipeline } = await import(pathToFileURL(PIPELINE).href);
const { findKernelSpec, KernelFactory } = await import(pathToFileURL(KERNEL).href);

const NOTEBOOK = `# %% tags=["parameters"]
upstream = None
product = None

# %%
open(product["data"], "w").write("done")
`;
const round = (ms) => Math.round(ms * 10) / 10;
const median = (times) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];

function project(yaml, files) {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-fresh-bench-'));
  for (const [path, text] of Object.entries({ 'pipeline.yaml': yaml, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Run every task of the project once; the wall time of the run (warm parent included) and each task's time. */
async function run(dir, kernels) {
  const p = await loadPipeline({ cwd: dir, lock: true });
  try {
    const t0 = performance.now();
    const summary = await runPipeline(p, { jobs: 1, force: true, kernels });
    if (summary.failed.length) throw new Error(`task failed: ${summary.failed[0].message}`);
    return { wall: performance.now() - t0, tasks: summary.ran.map((r) => r.durationMs) };
  } finally {
    p.release();
  }
}

// The floor, measured now: an interpreter start, and a fork of a warm parent running `pass`.
const python = JSON.parse((await import('node:fs')).readFileSync(SPEC, 'utf8')).argv[0];
const starts = [];
for (let i = 0; i < CALLS; i++) {
  const t0 = performance.now();
  spawnSync(python, ['-c', 'pass']);
  starts.push(performance.now() - t0);
}
console.log(
  JSON.stringify({ name: `floor: ${python} -c pass (median of ${CALLS})`, value: round(median(starts)), unit: 'ms' }),
);
const floorDir = mkdtempSync(join(tmpdir(), 'nbpipe-fresh-bench-'));
const factory = new KernelFactory({ cwd: floorDir });
const spec = findKernelSpec('python3');
try {
  const forks = [];
  for (let i = 0; i < CALLS + 1; i++) {
    const t0 = performance.now();
    const child = await factory.runPython(spec, {
      code: 'pass',
      stdin: '/dev/null',
      cwd: floorDir,
      output: join(floorDir, 'out.log'),
    });
    await child.exited;
    if (i > 0) forks.push(performance.now() - t0); // the first waits for the warm parent's imports
  }
  console.log(
    JSON.stringify({
      name: `floor: fork of the warm parent running pass (median of ${CALLS})`,
      value: round(median(forks)),
      unit: 'ms',
    }),
  );
} finally {
  await factory.close();
  rmSync(floorDir, { recursive: true, force: true });
}

for (const n of CHAINS) {
  let yaml = 'tasks:\n';
  for (let i = 0; i < n; i++)
    yaml += `  - {source: t.py, name: t${i}, product: {nb: out/t${i}.ipynb, data: out/t${i}.txt}${i ? `, upstream: [t${i - 1}]` : ''}}\n`;
  // the embedded executor (`executor: python`): its driver forked from a warm parent, or started (`fork: false`)
  const variants = values.launched
    ? [
        ['forked kernels', {}, ''],
        ['launched kernels', { fork: false }, ''],
        ['embedded executor, forked', {}, 'executor: python\n'],
        ['embedded executor, started', { fork: false }, 'executor: python\n'],
      ]
    : [
        ['forked kernels', {}, ''],
        ['embedded executor, forked', {}, 'executor: python\n'],
      ];
  for (const [how, kernels, executor] of variants) {
    const dir = project(executor + yaml, { 't.py': NOTEBOOK });
    try {
      const { wall, tasks } = await run(dir, kernels);
      const target = how === 'forked kernels' && n === 12 ? { target: '<= 4000' } : {};
      console.log(
        JSON.stringify({
          name: `chain of ${n} trivial notebook tasks, ${how}: whole run`,
          value: Math.round(wall),
          unit: 'ms',
          ...target,
        }),
      );
      console.log(
        JSON.stringify({
          name: `chain of ${n} trivial notebook tasks, ${how}: per task (median)`,
          value: median(tasks),
          unit: 'ms',
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// A function task and an on_finish check, each the difference with the same task without the python call.
const FUNCTIONS =
  'def write(product):\n    open(product, "w").write("done")\n\ndef check(product):\n    assert open(product).read()\n';
let calls = 'tasks:\n';
for (let i = 0; i < CALLS; i++) calls += `  - {source: functions.write, name: f${i}, product: out/f${i}.txt}\n`;
let checks = 'tasks:\n';
let plain = 'tasks:\n';
for (let i = 0; i < CALLS; i++) {
  checks += `  - {source: w.sh, name: s${i}, product: out/s${i}.txt, on_finish: functions.check}\n`;
  plain += `  - {source: w.sh, name: s${i}, product: out/s${i}.txt}\n`;
}
const files = { 'functions.py': FUNCTIONS, 'w.sh': 'echo done > {{product}}\n' };
const timed = async (yaml) => {
  const dir = project(yaml, files);
  try {
    return median((await run(dir, {})).tasks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const call = await timed(calls);
console.log(
  JSON.stringify({ name: `function task, trivial (median of ${CALLS})`, value: call, unit: 'ms', target: '< 50' }),
);
const withCheck = await timed(checks);
const without = await timed(plain);
console.log(
  JSON.stringify({
    name: `on_finish python check, trivial: added to a shell task (median of ${CALLS})`,
    value: withCheck - without,
    unit: 'ms',
  }),
);
