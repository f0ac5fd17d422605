import { callPython } from './python-call.js';
import type { Executor } from './job.js';
import { isWildcard } from '../wildcards.js';

/**
 * Ploomber's python-callable tasks (`source: tasks.module.function`): the function is called in a
 * python subprocess as `function(product=..., upstream=..., **params)` — `upstream` only when the
 * task has upstream, as Ploomber does. Products are paths (strings, or a mapping of them). With a
 * `serializer` the function gets no `product`: it returns a value the serializer writes there; with
 * an `unserializer` it gets its upstream products read back instead of their paths.
 */
export const callableExecutor: Executor = {
  async run(job) {
    const { serializer, unserializer } = job.spec;
    const kwargs: Record<string, unknown> = serializer ? {} : { product: job.product };
    if (Object.keys(job.upstream).length) kwargs.upstream = job.upstream;
    Object.assign(kwargs, job.params);
    // Wildcard upstream (`fit-*`) maps to a mapping of task names to products: each is read back.
    const groups = Object.keys(job.upstream).filter(isWildcard);
    await callPython(
      job,
      {
        function: job.spec.callable!,
        kwargs,
        select: false,
        ...(serializer ? { serializer: { ...serializer, product: job.product } } : {}),
        ...(unserializer && kwargs.upstream ? { unserializer: { ...unserializer, groups } } : {}),
      },
      job.spec.callable!,
    );
  },
};
