import { appendFileSync } from 'node:fs';
import { callPython, isDottedFunction } from './python-call.js';
import { spawnTaskProcess, taskEnvironment, waitForExit } from './process.js';
import { TaskFailure, type TaskJob } from './registry.js';

/**
 * Run a task's `on_finish` check after it ran: a python `module.function` (called with the
 * `product`, `upstream` and `params` its signature accepts), or a shell command (with the task's
 * PRODUCT, UPSTREAM_… and PARAM_… variables). A failing check rejects with a TaskFailure saying why.
 */
export async function runOnFinish(job: TaskJob, check: string): Promise<void> {
  appendFileSync(job.log, `on_finish: ${check}\n`);
  if (isDottedFunction(check)) {
    await callPython(job, { function: check, kwargs: { product: job.product, upstream: job.upstream, params: job.params }, select: true }, `on_finish ${check}`);
    return;
  }
  const child = spawnTaskProcess('/bin/sh', ['-c', check], { cwd: job.root, env: { ...process.env, ...taskEnvironment(job) }, stdio: ['ignore', 'pipe', 'pipe'] }, job);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    appendFileSync(job.log, chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exit = await waitForExit(child);
  if (job.signal.aborted) throw new TaskFailure('interrupted');
  if (exit.code === 0) return;
  const last = output.trimEnd().split('\n').pop() ?? '';
  throw new TaskFailure(`on_finish \`${check}\` failed (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`})${last ? `: ${last}` : ''}`, output.trimEnd().split('\n').slice(-30).join('\n'));
}
