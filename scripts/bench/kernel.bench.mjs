#!/usr/bin/env node
/**
 * Cost of the kernel client per notebook: 20 trivial code cells run with `runNotebook` on an
 * already-started python3-ipykernel (Debian's /usr/bin/python3), everything nbpipe does per cell
 * included (signing, ZeroMQ, decoding, output recording, nbclient timing metadata).
 *
 * Method: wall time of the 20 cells (performance.now around runNotebook) minus the kernel's own
 * work, which is the sum over cells of busy→idle on the kernel's clock (the `iopub.status.busy` and
 * `iopub.status.idle` timestamps the kernel puts in its message headers, µs resolution). What is
 * left is the round trip request→busy and idle→"cell done" on our side: transport, our code, and
 * the kernel's own receive/dispatch outside busy→idle (counted against us, conservatively).
 * Median of 7 rounds after 2 warm-up rounds. Target: under 150 ms for the 20 cells.
 * Run: npm run bench -- kernel   (needs `npm run build`)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCell, emptyNotebook } from '@nbpipe/nbformat';
import { findKernelSpec, KernelClient, runNotebook } from '@nbpipe/kernel';

const CELLS = 20;
const WARMUP = 2;
const ROUNDS = 7;

function emit(name, value, unit, target) {
  process.stdout.write(
    JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...(target ? { target } : {}) }) + '\n',
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kernelClock = (stamp) => Date.parse(stamp.slice(0, 23) + 'Z') + Number(stamp.slice(23, 26)) / 1000;

const dataDir = mkdtempSync(join(tmpdir(), 'nbpipe-bench-kernel-'));
mkdirSync(join(dataDir, 'kernels', 'bench-python'), { recursive: true });
writeFileSync(
  join(dataDir, 'kernels', 'bench-python', 'kernel.json'),
  JSON.stringify({
    argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    display_name: 'bench',
    language: 'python',
  }),
);
const kernel = await KernelClient.start(findKernelSpec('bench-python', { dataDirs: [dataDir] }));
try {
  const rounds = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const nb = emptyNotebook();
    nb.cells = Array.from({ length: CELLS }, (_, i) => codeCell(i === 0 ? 'x = 0' : `x += ${i}`));
    const start = performance.now();
    const failure = await runNotebook(kernel, nb, { recordTiming: true });
    const wall = performance.now() - start;
    if (failure) throw new Error(failure.message);
    const kernelWork = nb.cells.reduce((sum, cell) => {
      const t = cell.metadata.execution;
      return sum + (kernelClock(t['iopub.status.idle']) - kernelClock(t['iopub.status.busy']));
    }, 0);
    if (round >= WARMUP) rounds.push({ wall, kernelWork, overhead: wall - kernelWork });
  }
  const overhead = median(rounds.map((r) => r.overhead));
  emit(`${CELLS} trivial cells on a started kernel: overhead over the kernel's own work`, overhead, 'ms', '< 150');
  emit(`${CELLS} trivial cells: wall time`, median(rounds.map((r) => r.wall)), 'ms');
  emit(`${CELLS} trivial cells: kernel busy→idle, summed`, median(rounds.map((r) => r.kernelWork)), 'ms');
  emit('overhead per cell', overhead / CELLS, 'ms');
} finally {
  await kernel.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
}
