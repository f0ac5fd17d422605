import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { PipelineError } from '../errors.js';
import { substituteInShell, UnsafeSubstitution } from '../shell-quote.js';
import { scalarText, spawnTaskProcess, tailOfFile, taskEnvironment, waitForExit } from './process.js';
import { TaskFailure, type Executor, type TaskJob } from './job.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)((?:\s*(?:\.[A-Za-z_][\w-]*|\[\s*(?:'[^']*'|"[^"]*"|\d+)\s*\]))*)\s*\}\}/g;
const ACCESSOR = /\.([A-Za-z_][\w-]*)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/g;

/**
 * Render a shell script's placeholders as Ploomber does: `{{product}}`, `{{product['key']}}`,
 * `{{upstream['task']}}` (also `.key` access), and params by name (`{{sample}}` or `{{params.sample}}`),
 * each value quoted for where it lands, so the script gets it as data, exactly (unlike Ploomber).
 * A `{{name…}}` naming nothing is an error with its line; other braces (`{{.Field}}` Go templates) are left alone.
 */
export function renderShellScript(
  text: string,
  job: Pick<TaskJob, 'product' | 'upstream' | 'params'>,
  file: string,
): string {
  const scope: Record<string, unknown> = {
    ...job.params,
    params: job.params,
    product: job.product,
    upstream: job.upstream,
  };
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const valueOf = (found: RegExpExecArray): string => {
    const [match, root, path] = found;
    let value: unknown = scope[root!];
    let where = root!;
    for (const m of path!.matchAll(ACCESSOR)) {
      const key = m[1] ?? m[2] ?? m[3] ?? m[4]!;
      where += m[0];
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      if (value === undefined) break;
    }
    if (value === undefined)
      throw new PipelineError(
        `${match}: ${where} is not defined (available: product, upstream, params${Object.keys(job.params).length ? ', ' + Object.keys(job.params).join(', ') : ''})`,
        file,
        lineAt(found.index),
      );
    return scalarText(value);
  };
  try {
    return substituteInShell(text, PLACEHOLDER, valueOf);
  } catch (e) {
    if (e instanceof UnsafeSubstitution) throw new PipelineError(e.message, file, lineAt(e.offset));
    throw e;
  }
}

/**
 * Runs a shell script with bash: placeholders rendered, the rendered script kept next to the log
 * (`.nbpipe/logs/<task>.sh`) for debugging, the same values also given as environment variables,
 * output to the task's log, the project root as working directory.
 */
export const shellExecutor: Executor = {
  async run(job) {
    const label = job.label(job.source);
    const script = renderShellScript(readFileSync(job.source, 'utf8'), job, label);
    const scriptFile = job.log.replace(/\.log$/, '.sh');
    writeFileSync(scriptFile, script);
    const out = openSync(job.log, 'w');
    let result;
    try {
      const child = spawnTaskProcess(
        'bash',
        [scriptFile],
        { cwd: job.root, env: { ...process.env, ...taskEnvironment(job) }, stdio: ['ignore', out, out] },
        job,
      );
      result = await waitForExit(child);
    } catch (e) {
      throw new TaskFailure(`cannot run bash: ${(e as Error).message}`);
    } finally {
      closeSync(out);
    }
    if (result.code === 0) return;
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    throw new TaskFailure(`${label} ${how}`, tailOfFile(job.log));
  },
};
