import { callPython } from './python-call.js';
import type { Executor } from './registry.js';

/**
 * Ploomber's python-callable tasks (`source: tasks.module.function`): the function is called in a
 * python subprocess as `function(product=..., upstream=..., **params)` — `upstream` only when the
 * task has upstream, as Ploomber does. Products are paths (strings, or a mapping of them).
 */
export const callableExecutor: Executor = {
  async run(job) {
    const kwargs: Record<string, unknown> = { product: job.product };
    if (Object.keys(job.upstream).length) kwargs.upstream = job.upstream;
    Object.assign(kwargs, job.params);
    await callPython(job, { function: job.spec.callable!, kwargs, select: false }, job.spec.callable!);
  },
};
