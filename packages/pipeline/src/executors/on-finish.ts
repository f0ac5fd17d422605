import { appendFileSync } from 'node:fs';
import { callPython, isDottedFunction } from './python-call.js';
import { spawnTaskProcess, taskEnvironment, waitForExit } from './process.js';
import { TaskFailure, type TaskJob } from './job.js';
import type { PythonHook } from '../spec.js';

/**
 * Call one of a task's python hooks (`on_render`, `on_finish`, `on_failure`) as Ploomber does: it gets
 * the `product`, `params`, `task` (and nbpipe's `upstream`) it declares without a default, and the
 * keyword arguments pipeline.yaml gives it. A raising hook rejects with a TaskFailure saying why.
 */
export async function callTaskHook(job: TaskJob, hook: PythonHook, name: string): Promise<void> {
  appendFileSync(job.log, `${name}: ${hook.function}\n`);
  const task = { name: job.name, source: job.source, product: job.product, upstream: job.upstream, params: job.params };
  await callPython(
    job,
    {
      function: hook.function,
      kwargs: { product: job.product, upstream: job.upstream, params: job.params, task },
      select: true,
      extra: hook.kwargs,
    },
    `${name} ${hook.function}`,
  );
}

/**
 * Run a task's `on_finish` check after it ran: a python hook (callTaskHook), or a shell command (with
 * the task's PRODUCT, UPSTREAM_… and PARAM_… variables). A failing check rejects with a TaskFailure saying why.
 */
export async function runOnFinish(job: TaskJob, check: string | PythonHook): Promise<void> {
  if (typeof check !== 'string') return callTaskHook(job, check, 'on_finish');
  if (isDottedFunction(check)) return callTaskHook(job, { function: check, kwargs: {} }, 'on_finish');
  appendFileSync(job.log, `on_finish: ${check}\n`);
  const child = spawnTaskProcess(
    '/bin/sh',
    ['-c', check],
    { cwd: job.root, env: { ...process.env, ...taskEnvironment(job) }, stdio: ['ignore', 'pipe', 'pipe'] },
    job,
  );
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
  throw new TaskFailure(
    `on_finish \`${check}\` failed (${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`})${last ? `: ${last}` : ''}`,
    output.trimEnd().split('\n').slice(-30).join('\n'),
  );
}
