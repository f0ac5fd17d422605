#!/usr/bin/env node
/**
 * The I/O floor of an nbpipe command over many files: a Node process that reads every input and writes every result
 * the way nbpipe does (writeFileAtomic from @nbpipe/git: temp file, fsync, rename; all writes in flight together), and
 * nothing else: no parsing, no converting. A command over the same files cannot take less, so a target below this on a
 * machine is out of reach there.
 *
 * Library: ioFloorSeconds(jobs, { rounds, cwd }) with jobs = [{ input, output, bytes }] (bytes: the size of what the
 * command writes there); it spawns this file as a child process, as the benchmarks spawn the CLI, and returns the best
 * wall time in seconds. What it writes is filler of that size: the content does not change the cost of a write.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function ioFloorSeconds(jobs, { rounds = 5, cwd } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'nbpipe-io-floor-'));
  try {
    const plan = jobs.map(({ input, output, bytes }) => [input, output, bytes]);
    const planFile = join(scratch, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    let best = Infinity;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), planFile], { cwd, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`io-floor exited ${r.status}: ${r.stderr}`);
      best = Math.min(best, (performance.now() - start) / 1000);
    }
    return best;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const { writeFileAtomic } = await import('@nbpipe/git');
  for (const [input] of plan) readFileSync(input);
  await Promise.all(plan.map(([, output, bytes]) => writeFileAtomic(output, Buffer.alloc(bytes, 0x20))));
}
