import Anser from 'anser';
import hljs from 'highlight.js/lib/common';
import { Marked } from 'marked';
import { sourceText, type Cell, type JsonValue, type MimeBundle, type Notebook, type Output } from '@nbpipe/nbformat';
import { escapeHtml, imageDataUri, RASTER_MIMES, sanitizeMarkup, svgDataUri, UNTRUSTED_CSP } from './safe-markup.js';

export interface HtmlReportOptions {
  /** Page title; defaults to the notebook's file name when the caller passes it. */
  title?: string;
  /** Hide code cells' input (nbconvert's `exclude_input`). */
  excludeInput?: boolean;
  /** Hide the `In [n]:` / `Out [n]:` prompts (nbconvert's `exclude_output_prompt`/`exclude_input_prompt`). */
  excludePrompts?: boolean;
  /**
   * Write HTML and markdown as they are and run `application/javascript` outputs, as nbconvert does (README
   * "Security"). Only for notebooks whose every byte you trust; the default makes a report that runs nothing.
   */
  trusted?: boolean;
  /** One line shown at the top of the report (e.g. why a trusted report was refused). */
  notice?: string;
}

/** How one report renders the markup a notebook brings: raw when trusted, else cut down to the allowlist. */
interface Markup {
  trusted: boolean;
  markdown: Marked;
  /** Counts the elements holding notebook markup, each with its own id to scope its styles to. */
  scopes: number;
}

/** `value` as the content of a `<div>` of this class, the notebook's styles applying only inside it. */
function html(markup: Markup, className: string, value: string): string {
  if (markup.trusted) return `<div class="${className}">${value}</div>`;
  const scope = `nbp-out-${++markup.scopes}`;
  return `<div class="${className}" id="${scope}">${sanitizeMarkup(value, scope)}</div>`;
}
const markdownHtml = (markup: Markup, className: string, source: string) =>
  html(markup, className, markup.markdown.parse(source) as string);

const ansiToHtml = (s: string) => Anser.ansiToHtml(Anser.escapeForHtml(s), { use_classes: false });

const text = (v: JsonValue | undefined) =>
  Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : JSON.stringify(v, null, 2);

function languageOf(nb: Notebook): string {
  const info = nb.metadata.language_info?.name ?? (nb.metadata.kernelspec?.language as string | undefined) ?? 'python';
  return String(info).toLowerCase();
}

function highlight(code: string, language: string): string {
  if (hljs.getLanguage(language)) return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return escapeHtml(code);
}

const INVALID_IMAGE = '<pre class="invalid-image">[invalid image data]</pre>';

/** The richest representation Jupyter would show for a mime bundle, as HTML. */
function renderBundle(bundle: MimeBundle, markup: Markup): string {
  const has = (m: string) => bundle[m] !== undefined;
  // `</script` inside the code would end the element early
  if (markup.trusted && has('application/javascript'))
    return `<script>${text(bundle['application/javascript']).replace(/<\/(script)/gi, '<\\/$1')}</script>`;
  if (has('text/html')) return html(markup, 'html', text(bundle['text/html']));
  if (has('image/svg+xml')) {
    const svg = text(bundle['image/svg+xml']);
    if (markup.trusted) return `<div class="image">${svg}</div>`;
    const uri = svgDataUri(svg);
    return uri ? `<div class="image"><img src="${uri}" alt="image/svg+xml"></div>` : INVALID_IMAGE;
  }
  for (const mime of RASTER_MIMES) {
    if (has(mime)) {
      const uri = imageDataUri(mime, text(bundle[mime]));
      return uri ? `<div class="image"><img src="${uri}" alt="${mime}"></div>` : INVALID_IMAGE;
    }
  }
  if (has('text/markdown')) return markdownHtml(markup, 'markdown', text(bundle['text/markdown']));
  if (has('text/latex')) return `<pre class="latex">${escapeHtml(text(bundle['text/latex']))}</pre>`;
  if (has('application/json'))
    return `<pre class="json">${escapeHtml(JSON.stringify(bundle['application/json'], null, 2))}</pre>`;
  if (has('text/plain')) return `<pre>${ansiToHtml(text(bundle['text/plain']))}</pre>`;
  const mimes = Object.keys(bundle);
  return `<pre class="unsupported">[${escapeHtml(mimes.join(', ') || 'empty output')}]</pre>`;
}

function renderOutput(out: Output, markup: Markup, prompts: boolean): string {
  switch (out.output_type) {
    case 'stream':
      return `<pre class="stream ${escapeHtml(out.name)}">${ansiToHtml(text(out.text))}</pre>`;
    case 'error':
      return `<pre class="error">${ansiToHtml(out.traceback.length ? out.traceback.join('\n') : `${out.ename}: ${out.evalue}`)}</pre>`;
    case 'execute_result': {
      const prompt = prompts
        ? `<div class="prompt">Out [${escapeHtml(String(out.execution_count ?? ' '))}]:</div>`
        : '';
      return `<div class="result">${prompt}${renderBundle(out.data, markup)}</div>`;
    }
    case 'display_data':
      return renderBundle(out.data, markup);
    default:
      return '';
  }
}

function attachmentsResolved(cell: Cell, source: string): string {
  const attachments = cell.attachments as Record<string, MimeBundle> | undefined;
  if (!attachments) return source;
  return source.replace(/attachment:([^\s)"']+)/g, (whole, name: string) => {
    const bundle = attachments[name];
    const mime = bundle && Object.keys(bundle)[0];
    return (mime && imageDataUri(mime, text(bundle[mime]))) || whole;
  });
}

/**
 * A self-contained HTML page for an executed notebook: markdown rendered, code highlighted, rich outputs
 * (HTML, images inlined as data URIs), errors with their ANSI colours. The failing cell is marked.
 */
export function renderNotebookHtml(nb: Notebook, options: HtmlReportOptions = {}): string {
  const markup: Markup = { trusted: options.trusted === true, markdown: new Marked({ gfm: true }), scopes: 0 };
  const language = languageOf(nb);
  const prompts = !options.excludePrompts;
  const cells = nb.cells.map((cell, index) => {
    const source = sourceText(cell);
    if (cell.cell_type === 'markdown')
      return `<section class="cell markdown" id="cell-${index}">${markdownHtml(markup, 'markdown-cell', attachmentsResolved(cell, source))}</section>`;
    if (cell.cell_type === 'raw')
      return `<section class="cell raw" id="cell-${index}"><pre>${escapeHtml(source)}</pre></section>`;
    const failed = cell.outputs.some((o) => o.output_type === 'error');
    const tags = (cell.metadata.tags as string[] | undefined) ?? [];
    const classes = [
      'cell',
      'code',
      failed ? 'failed' : '',
      ...tags.map((t) => `tag-${t.replace(/[^\w-]/g, '_')}`),
    ].filter(Boolean);
    const input = options.excludeInput
      ? ''
      : `<div class="input">${prompts ? `<div class="prompt">In [${escapeHtml(String(cell.execution_count ?? ' '))}]:</div>` : ''}<pre><code class="hljs language-${escapeHtml(language)}">${highlight(source, language)}</code></pre></div>`;
    const banner = failed ? `<div class="failure">Execution failed in cell ${index + 1}</div>` : '';
    const outputs = cell.outputs.map((o) => renderOutput(o, markup, prompts)).join('\n');
    return `<section class="${classes.join(' ')}" id="cell-${index}">${banner}${input}<div class="outputs">${outputs}</div></section>`;
  });
  const title = escapeHtml(options.title ?? 'Notebook report');
  // the policy applies only to markup after it: it comes first
  const policy = markup.trusted ? '' : `<meta http-equiv="Content-Security-Policy" content="${UNTRUSTED_CSP}">\n`;
  const banners = [
    markup.trusted
      ? '<p class="report-notice">Trusted report: the notebook\'s HTML and scripts run as they are.</p>'
      : '',
    options.notice ? `<p class="report-notice">${escapeHtml(options.notice)}</p>` : '',
  ].join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${policy}<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nbpipe">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1 class="report-title">${title}</h1>
${banners}
${cells.join('\n')}
</main>
</body>
</html>
`;
}

const STYLE = `
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#fff;color:#1f2328;line-height:1.5}
main{max-width:980px;margin:0 auto;padding:24px}
.report-notice{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px}
.invalid-image{color:#cf222e}
.report-title{font-size:1.1em;color:#57606a;border-bottom:1px solid #d0d7de;padding-bottom:8px}
.cell{margin:12px 0}
.cell.code .input{display:flex;gap:8px}
.prompt{color:#57606a;font-family:monospace;min-width:72px;text-align:right;padding-top:8px;font-size:.85em}
pre{margin:0;padding:8px;overflow-x:auto;font-size:.9em;font-family:SFMono-Regular,Consolas,"Liberation Mono",Menlo,monospace;white-space:pre-wrap}
.input pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;flex:1}
.outputs{margin-left:80px}
.result{display:flex;gap:8px}.result .prompt{margin-left:-80px}
.stream.stderr{background:#fff5f5}
.error{background:#fff0f0;border-left:4px solid #cf222e}
.failed .input pre{border-color:#cf222e}
.failure{color:#cf222e;font-weight:600;margin-left:80px}
.image img{max-width:100%}
.markdown img{max-width:100%}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 8px}
.hljs-keyword,.hljs-built_in,.hljs-literal{color:#cf222e}.hljs-string{color:#0a3069}.hljs-number{color:#0550ae}
.hljs-comment{color:#6e7781;font-style:italic}.hljs-title,.hljs-title.function_{color:#8250df}.hljs-params{color:#24292f}
.hljs-meta{color:#953800}
`;
