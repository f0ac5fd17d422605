import { readFileSync } from 'node:fs';
import { sourceText } from '@nbpipe/nbformat';
import { parametersCellIndex, readNotebookSource } from '../sources.js';
import { TaskFailure, type TaskJob } from './job.js';

/** Names a parameters cell assigns at top level (`x = 1`, `x: int = 1`). */
function assignedNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm)) names.add(m[1]!);
  return names;
}

/**
 * `static_analysis: strict`, Ploomber's signature check: the params a task passes must be the
 * variables of the source's parameters cell (besides `upstream` and `product`), none missing and
 * none unexpected. Ploomber's pyflakes pass is not run: code errors surface when the notebook runs.
 */
export async function checkSignature(job: TaskJob): Promise<void> {
  if (job.spec.kind !== 'notebook') return;
  const nb = await readNotebookSource(job.label(job.source), readFileSync(job.source, 'utf8'));
  const index = parametersCellIndex(nb);
  if (index < 0)
    throw new TaskFailure(`${job.label(job.source)}: static_analysis: strict needs a cell tagged "parameters"`);
  const declared = assignedNames(sourceText(nb.cells[index]!));
  declared.delete('upstream');
  declared.delete('product');
  const passed = new Set(Object.keys(job.params));
  const unexpected = [...passed].filter((n) => !declared.has(n));
  const missing = [...declared].filter((n) => !passed.has(n));
  const problems = [
    ...(unexpected.length ? [`unexpected params ${unexpected.join(', ')} (not in the parameters cell)`] : []),
    ...(missing.length ? [`missing params ${missing.join(', ')} (declared in the parameters cell)`] : []),
  ];
  if (problems.length)
    throw new TaskFailure(`${job.label(job.source)}: static_analysis: strict: ${problems.join('; ')}`);
}
