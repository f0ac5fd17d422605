import { basename, extname } from 'node:path';
import type { Notebook } from '@nbpipe/nbformat';
import type { Value } from '../env.js';
import type { ProductSpec } from '../spec.js';
import type { ResolvedProduct } from './job.js';

/** Writes an executed notebook in one format (by extension of the `nb` product); `options` are the task's `nbconvert_export_kwargs`. */
export type NotebookWriter = (nb: Notebook, path: string, options?: Record<string, Value>) => Promise<void>;

/**
 * nbconvert_export_kwargs our HTML report honours: each turns an option on when its value is `when`.
 * `sanitize_html: false` is nbconvert's way to keep a notebook's HTML as it is: our trusted report (README "Security").
 */
export const HTML_EXPORT_OPTIONS: Record<
  string,
  { option: 'excludeInput' | 'excludePrompts' | 'trusted'; when: boolean }
> = {
  exclude_input: { option: 'excludeInput', when: true },
  exclude_input_prompt: { option: 'excludePrompts', when: true },
  exclude_output_prompt: { option: 'excludePrompts', when: true },
  sanitize_html: { option: 'trusted', when: false },
};

/** A CI build of a pull request (GitHub Actions), whose author controls the notebook: never a trusted report. */
const isPullRequestBuild = () => (process.env.GITHUB_EVENT_NAME ?? '').startsWith('pull_request');

/** The formats an executed notebook can be written in, by extension. */
export const NOTEBOOK_FORMATS: ReadonlyMap<string, NotebookWriter> = new Map<string, NotebookWriter>([
  [
    '.ipynb',
    async (nb, path) => {
      const [{ serialize }, { writeFileAtomic }] = await Promise.all([
        import('@nbpipe/nbformat'),
        import('@nbpipe/git'),
      ]);
      await writeFileAtomic(path, serialize(nb));
    },
  ],
  [
    '.html',
    async (nb, path, options = {}) => {
      const [{ renderNotebookHtml }, { writeFileAtomic }] = await Promise.all([
        import('../report/html.js'),
        import('@nbpipe/git'),
      ]);
      const report: Record<string, boolean | string> = {};
      for (const [key, value] of Object.entries(options))
        if (HTML_EXPORT_OPTIONS[key]?.when === value) report[HTML_EXPORT_OPTIONS[key].option] = true;
      if (report.trusted && isPullRequestBuild()) {
        delete report.trusted;
        report.notice = 'sanitize_html: false is ignored in a pull request build: this report runs no script.';
      }
      await writeFileAtomic(path, renderNotebookHtml(nb, { title: basename(path, extname(path)), ...report }));
    },
  ],
]);

export function notebookWriter(path: string): NotebookWriter | undefined {
  return NOTEBOOK_FORMATS.get(extname(path).toLowerCase());
}

/** The product a notebook task writes its executed notebook to: the single product, or the `nb` key. */
export function notebookProduct<T extends ProductSpec | ResolvedProduct>(product: T): string | undefined {
  return typeof product === 'string' ? product : product.nb;
}
