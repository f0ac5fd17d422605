#!/usr/bin/env node
// Pipeline runner benchmark: on a generated 1,000-task pipeline in a git repository, the wall time
// and peak RSS of `nbpipe status` and of a no-op `nbpipe run`, and the runner's own overhead per
// shell task. Self-contained: builds nothing, needs the built CLI. Prints one JSON object per line
// (scripts/bench/run.mjs's protocol: name, value, unit, target). Run: npm run bench -- pipeline
//
//   node scripts/bench/pipeline.bench.mjs [--tasks 1000] [--overhead-tasks 200] [--repeat 7] [--notebooks 1]
//
// --notebooks 1: every other task is a percent-format notebook task with an `nb` product (run on fresh kernels),
// as in the planning target of README "Fresh kernels"; the overhead part is skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'packages/cli/bin/nbpipe.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const TASKS = option('tasks', 1000);
const OVERHEAD_TASKS = option('overhead-tasks', 200);
const REPEAT = option('repeat', 7);
const NOTEBOOKS = option('notebooks', 0) > 0;
const TIME = '/usr/bin/time';

if (!existsSync(join(ROOT, 'packages/cli/dist/bin.js'))) {
  console.error('build first: npm run build');
  process.exit(2);
}

const env = { ...process.env, NO_COLOR: '1', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * A pipeline of `n` shell tasks: task i depends on task ⌊i/2⌋ (a binary tree: every level waits
 * for the one above) and, for every tenth task, also on task i-1. Half the tasks declare upstream
 * in pipeline.yaml, half through `{{upstream['…']}}` in their script (Ploomber's two ways).
 */
function generate(dir, n) {
  mkdirSync(join(dir, 'tasks'), { recursive: true });
  let yaml = 'tasks:\n';
  for (let i = 0; i < n; i++) {
    const ups = i === 0 ? [] : [`t${Math.floor(i / 2)}`, ...(i % 10 === 0 && i > 1 ? [`t${i - 1}`] : [])];
    if (NOTEBOOKS && i % 2 === 1) {
      yaml += `  - source: tasks/t${i}.py\n    product: out/t${i}.ipynb\n    upstream: [${ups.join(', ')}]\n`;
      writeFileSync(
        join(dir, `tasks/t${i}.py`),
        `# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nindex = ${i}\n`,
      );
      continue;
    }
    const inYaml = i % 2 === 0;
    yaml += `  - source: tasks/t${i}.sh\n    product: out/t${i}.txt\n    params:\n      index: ${i}\n`;
    if (inYaml) yaml += `    upstream: [${ups.join(', ')}]\n`;
    const uses = inYaml ? '' : ups.map((u) => `# reads {{upstream['${u}']}}\n`).join('');
    writeFileSync(join(dir, `tasks/t${i}.sh`), `${uses}echo ${i} > {{product}}\n`);
  }
  writeFileSync(join(dir, 'pipeline.yaml'), yaml);
  writeFileSync(join(dir, '.gitignore'), 'out/\n');
}

function repoWith(n) {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-bench-'));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'bench@example.com');
  git(dir, 'config', 'user.name', 'bench');
  generate(dir, n);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'generated pipeline');
  return dir;
}

/** Files written less than a second before git's index are "racily clean" and must be re-read: let them age, as a real checkout has. */
function settle(dir) {
  execFileSync('sleep', ['1.1']);
  git(dir, 'update-index', '--refresh');
  execFileSync('sleep', ['1.1']);
}

function nbpipe(dir, a) {
  const r = spawnSync(process.execPath, [CLI, ...a], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nbpipe ${a.join(' ')} exited ${r.status}\n${r.stderr}`);
  return r;
}

/** Wall time (ms) and peak RSS (MB) of one command, measured by /usr/bin/time (getrusage of the child). */
function measure(dir, command) {
  const r = spawnSync(TIME, ['-f', '%e %M', ...command], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}\n${r.stderr}`);
  const [seconds, kb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wallMs: seconds * 1000, rssMB: kb / 1024 };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function repeat(dir, command) {
  const runs = Array.from({ length: REPEAT }, () => measure(dir, command));
  // wall from /usr/bin/time has 10 ms resolution: time the same runs in process as well
  const walls = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    const r = spawnSync(command[0], command.slice(1), { cwd: dir, env, stdio: 'ignore' });
    walls.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}`);
  }
  return { wallMs: Math.round(median(walls)), maxRssMB: Math.round(Math.max(...runs.map((r) => r.rssMB))) };
}

/** One result line in the protocol of scripts/bench/run.mjs. */
const emit = (name, value, unit, target) =>
  console.log(JSON.stringify({ name, value: Math.round(value * 10) / 10, unit, ...(target ? { target } : {}) }));

// bin/nbpipe.js runs the unbundled build when a package was rebuilt after the bundle (a plain `tsc -b`, or a build
// whose cache replay wrote a package's tsconfig.tsbuildinfo after the bundle): say which one is measured, by the
// launcher's own rule. The unbundled CLI starts much slower (BENCHMARKS.md "CLI start-up"): its figures are not the CLI's.
const { entryPath } = createRequire(import.meta.url)(join(ROOT, 'packages/cli/drivers/bundle.cjs'));
if (!entryPath('nbpipe.js', 'bin.js').includes(`${sep}bundle${sep}`))
  process.stderr.write('note: measuring the UNBUNDLED CLI (run node packages/cli/drivers/bundle.mjs for the bundle)\n');

const dirs = [];
try {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to measure peak RSS (apt-get install time)`);
  // Context: what any command costs on this machine.
  emit('node -e 0 (reference)', repeat(ROOT, [process.execPath, '-e', '0']).wallMs, 'ms');
  emit('nbpipe --version (reference)', repeat(ROOT, [process.execPath, CLI, '--version']).wallMs, 'ms');

  // 1. status and no-op run on a 1,000-task pipeline, after a full run.
  process.stderr.write(`generating and running a ${TASKS}-task pipeline…\n`);
  const big = repoWith(TASKS);
  dirs.push(big);
  settle(big);
  let t0 = performance.now();
  nbpipe(big, ['run', '--quiet']);
  const fullRunMs = performance.now() - t0;
  // The products were hashed right after being written (too fresh to trust their stat data): one
  // no-op run re-hashes them once and remembers them, as any later run would.
  execFileSync('sleep', ['1.1']);
  nbpipe(big, ['run', '--quiet']);
  const check = nbpipe(big, ['run', '--check']);
  if (!/^0 to run/m.test(check.stderr)) throw new Error(`expected nothing to run:\n${check.stderr}`);
  const status = repeat(big, [process.execPath, CLI, 'status']);
  const noop = repeat(big, [process.execPath, CLI, 'run', '--quiet']);
  emit(`status, ${TASKS} tasks${NOTEBOOKS ? ' (half notebooks)' : ''}, median wall`, status.wallMs, 'ms', '< 300');
  emit(`status, ${TASKS} tasks, peak RSS`, status.maxRssMB, 'MB', '< 150');
  emit(`no-op run, ${TASKS} tasks${NOTEBOOKS ? ' (half notebooks)' : ''}, median wall`, noop.wallMs, 'ms', '< 300');
  emit(`no-op run, ${TASKS} tasks, peak RSS`, noop.maxRssMB, 'MB', '< 150');
  const kinds = NOTEBOOKS ? `${TASKS / 2} shell + ${TASKS / 2} notebook tasks` : `${TASKS} shell tasks`;
  emit(`full run, ${kinds}, default --jobs`, fullRunMs / 1000, 's');
  if (!NOTEBOOKS) {
    // Every source too fresh for git's index (just written or checked out): all read and hashed in process.
    for (let i = 0; i < TASKS; i++) utimesSync(join(big, `tasks/t${i}.sh`), new Date(), new Date());
    emit(`status, ${TASKS} tasks, every source re-hashed`, repeat(big, [process.execPath, CLI, 'status']).wallMs, 'ms');

    // 2. The runner's own overhead per shell task: a serial run of N trivial tasks, minus a dry run
    // (start-up, loading, planning), minus what bash itself costs to run each script.
    const small = repoWith(OVERHEAD_TASKS);
    dirs.push(small);
    settle(small);
    const dryRunMs = repeat(small, [process.execPath, CLI, 'run', '--dry-run']).wallMs;
    t0 = performance.now();
    nbpipe(small, ['run', '--jobs', '1', '--quiet']);
    const serialMs = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < OVERHEAD_TASKS; i++)
      spawnSync('bash', [join(small, `tasks/t${i}.sh`)], { cwd: small, stdio: 'ignore' });
    const bashMs = performance.now() - t0;
    emit(
      `runner overhead per shell task (${OVERHEAD_TASKS} tasks, --jobs 1)`,
      (serialMs - dryRunMs - bashMs) / OVERHEAD_TASKS,
      'ms',
      '< 20',
    );
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
