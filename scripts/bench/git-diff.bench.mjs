#!/usr/bin/env node
/**
 * `git diff` over 50 changed notebooks through nbpipe's diff driver, in a throw-away repository set up with
 * `nbpipe install`: wall time of the whole command (git starts one driver command per notebook). Target: 5× faster
 * than nbdime's git driver (about 0.5 s a notebook here), i.e. under 5 s. Best of 3 rounds, with the drivers' resident
 * server (the normal case), plus the first run, which starts that server, and runs without it
 * (NBPIPE_DRIVER_SERVER=0: one node process per notebook). Also `git log -p` of the same change (textconv, two
 * conversions a notebook), CPU time per notebook (steadier than wall time on a busy machine), and the floors: git with
 * a driver that does nothing, and starting a bare node 50 times the way git starts the driver. The benchmark has a
 * TMPDIR of its own, so its first run really starts a server.
 * Run: npm run bench -- git-diff   (needs `npm run build`)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from '@nbpipe/nbformat';
import { generateNotebook } from './generate.mjs';

const NOTEBOOKS = 50;
const NOTEBOOK_BYTES = 50_000;
const ROUNDS = 3;
const CLI = resolve(fileURLToPath(import.meta.url), '../../../packages/cli/bin/nbpipe.js');

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'nbpipe-bench-git-diff-'));
const serverTmp = mkdtempSync(join(tmpdir(), 'nbpipe-bench-server-'));

function sh(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1', TMPDIR: serverTmp, ...env },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A plausible edit: change a line of the first code cell, and the outputs of the last code cell that has some. */
function edit(nb) {
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  if (code[0]) code[0].source = `# tuned\n${code[0].source}`;
  const withOutputs = code.filter((c) => c.outputs.length > 0).pop();
  if (withOutputs) {
    withOutputs.outputs = [{ output_type: 'stream', name: 'stdout', text: 'rerun: 42\n' }];
    withOutputs.execution_count = (withOutputs.execution_count ?? 0) + 1;
  }
  return nb;
}

/**
 * CPU seconds (user + system) used by finished child processes, from /proc (Linux); undefined elsewhere. Unlike wall
 * time it hardly depends on what else the machine is running.
 */
function childrenCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime: fields 16 and 17, in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

/** Best wall time and CPU time in seconds of `rounds` runs; returns them with the last run's output. */
function best(rounds, fn) {
  let seconds = Infinity;
  let cpu = Infinity;
  let output = '';
  for (let k = 0; k < rounds; k++) {
    const cpuBefore = childrenCpuSeconds();
    const start = performance.now();
    output = fn();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    const cpuAfter = childrenCpuSeconds();
    if (cpuBefore !== undefined && cpuAfter !== undefined) cpu = Math.min(cpu, cpuAfter - cpuBefore);
  }
  return { seconds, cpu: Number.isFinite(cpu) ? cpu : undefined, output };
}

const withoutServer = { NBPIPE_DRIVER_SERVER: '0' };
try {
  sh('git', ['init', '-q', '-b', 'main'], dir);
  sh('git', ['config', 'user.email', 'bench@example.com'], dir);
  sh('git', ['config', 'user.name', 'Bench'], dir);
  sh(process.execPath, [CLI, 'install', '--quiet'], dir);
  for (let i = 0; i < NOTEBOOKS; i++)
    writeFileSync(join(dir, `nb-${i}.ipynb`), serialize(generateNotebook(i + 1, { targetBytes: NOTEBOOK_BYTES })));
  sh('git', ['add', '.'], dir);
  sh('git', ['commit', '-q', '-m', 'base'], dir);
  for (let i = 0; i < NOTEBOOKS; i++)
    writeFileSync(
      join(dir, `nb-${i}.ipynb`),
      serialize(edit(generateNotebook(i + 1, { targetBytes: NOTEBOOK_BYTES }))),
    );

  const shows = (output, what) => {
    const shown = (output.match(/^\+# tuned$/gm) ?? []).length;
    if (shown !== NOTEBOOKS) throw new Error(`${what} showed the edit in ${shown} of ${NOTEBOOKS} notebooks`);
  };
  const first = best(1, () => sh('git', ['diff'], dir));
  shows(first.output, 'the first git diff');
  const diff = best(ROUNDS, () => sh('git', ['diff'], dir));
  shows(diff.output, 'git diff');
  if (diff.output !== first.output) throw new Error('git diff printed something else once the server was up');
  emit(
    `git diff, ${NOTEBOOKS} changed notebooks of ${NOTEBOOK_BYTES / 1000} KB (nbpipe diff driver)`,
    diff.seconds,
    's',
    '< 5',
  );
  emit('git diff through the driver, per notebook', (diff.seconds * 1000) / NOTEBOOKS, 'ms', '< 100');
  if (diff.cpu !== undefined)
    emit(
      'git diff through the driver, CPU per notebook (git, sh and the client; not the server)',
      (diff.cpu * 1000) / NOTEBOOKS,
      'ms',
    );
  emit("git diff, first run (starts the drivers' server)", first.seconds, 's');
  const direct = best(ROUNDS, () => sh('git', ['diff'], dir, withoutServer));
  if (direct.output !== diff.output) throw new Error('git diff without the server printed something else');
  emit('git diff without the server (NBPIPE_DRIVER_SERVER=0: one node process a notebook)', direct.seconds, 's');
  const noDriver = best(ROUNDS, () => sh('git', ['-c', 'diff.nbpipe.command=true', 'diff'], dir));
  emit('floor: git diff with a driver that does nothing (`true`)', noDriver.seconds, 's');
  // As the driver command starts it: NODE_EXTRA_CA_CERTS emptied (see nodeCommand in packages/git/src/drivers.ts).
  const node = best(ROUNDS, () => {
    for (let i = 0; i < NOTEBOOKS; i++)
      sh('sh', ['-c', `NODE_EXTRA_CA_CERTS= ${JSON.stringify(process.execPath)} -e 0`], dir);
    return '';
  });
  emit(`floor: starting node ${NOTEBOOKS} times through sh, as git starts the driver`, node.seconds, 's');

  sh('git', ['commit', '-q', '-am', 'edit'], dir);
  const log = best(ROUNDS, () => sh('git', ['log', '-p', '-1'], dir));
  emit(`git log -p, ${NOTEBOOKS} changed notebooks (textconv, 2 per notebook)`, log.seconds, 's');
  const logDirect = best(1, () => sh('git', ['log', '-p', '-1'], dir, withoutServer));
  if (logDirect.output !== log.output) throw new Error('git log -p without the server printed something else');
  emit('git log -p without the server', logDirect.seconds, 's');
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(serverTmp, { recursive: true, force: true }); // the server sees its socket gone and exits
}
