import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell } from '@nbpipe/nbformat';
import { renderNotebookHtml } from '../src/report/html.js';
import { scopedCss } from '../src/report/safe-markup.js';

import { PNG, executedNotebook } from './report-fixture.js';

describe('HTML report', () => {
  const html = renderNotebookHtml(executedNotebook(), { title: 'sales.ipynb' });

  it('renders markdown, highlighted code, escaped streams, rich outputs and inline images', () => {
    expect(html).toContain('<h1>Sales report</h1>');
    expect(html).toContain('<table>');
    expect(html).toContain('hljs-keyword');
    expect(html).toContain('hello &lt;world&gt;');
    expect(html).toContain('<b class="rich">rich</b>');
    expect(html).toContain(`src="data:image/png;base64,${PNG}"`);
    expect(html).toContain('In [1]:');
    expect(html).toContain('Out [2]:');
  });

  it('marks the failing cell and keeps the ANSI colours of the traceback', () => {
    expect(html).toMatch(/class="cell code failed"/);
    expect(html).toContain('Execution failed in cell 4');
    expect(html).toMatch(/<span style="color:rgb\(187, 0, 0\)">ZeroDivisionError<\/span>/);
  });

  it('is self-contained: no external scripts, styles or images', () => {
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('hides inputs and prompts on request', () => {
    const bare = renderNotebookHtml(executedNotebook(), { excludeInput: true, excludePrompts: true });
    expect(bare).not.toContain('import os');
    expect(bare).not.toContain('In [1]:');
    expect(bare).toContain('hello &lt;world&gt;');
  });

  it('is safe by default: a policy forbidding scripts first, notebook markup cut down, images checked', () => {
    const nb = executedNotebook();
    nb.cells.push(
      markdownCell('[x](javascript:alert(1)) <a href="//evil.example/">y</a> <img src="http://evil.example/t.png">'),
      codeCell('show()', {
        outputs: [
          {
            output_type: 'display_data',
            data: {
              'text/html': '<meta http-equiv="refresh" content="0;url=http://evil.example"><b onclick="x()">b</b>',
            },
            metadata: {},
          },
          { output_type: 'display_data', data: { 'image/png': `${PNG.slice(0, 8)}" onerror="x()` }, metadata: {} },
          { output_type: 'display_data', data: { 'image/jpeg': PNG }, metadata: {} },
          {
            output_type: 'display_data',
            data: {
              'image/svg+xml': '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>',
            },
            metadata: {},
          },
          { output_type: 'display_data', data: { 'application/javascript': 'x()', 'text/plain': 'js' }, metadata: {} },
        ],
      }),
    );
    const safe = renderNotebookHtml(nb);
    expect(safe).toMatch(
      /^<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:;/,
    );
    expect(safe).not.toMatch(/javascript:|evil\.example|onclick|onerror|onload|<script|http-equiv="refresh"/);
    expect(safe).toContain('<b>b</b>');
    expect(safe.match(/\[invalid image data\]/g)).toHaveLength(2); // PNG breaking out of its attribute, PNG bytes claimed as JPEG
    expect(safe).toContain('<img src="data:image/svg+xml;base64,');
    expect(safe).toContain('<pre>js</pre>');
  });

  it("applies an output's style sheet only inside that output, with the properties style= may use", () => {
    expect(
      scopedCss('body, .cell { display: none; position: fixed } > p, td { color: red; background: url(x) }', 'o1'),
    ).toBe('#o1 body, #o1 .cell { display: none } #o1 td { color: red }');
    expect(scopedCss('td { color: red } /* x */ .a { .b { color: red } }', 'o1')).toBe(
      '#o1 td { color: red } #o1 .a { }',
    );
    for (const dropped of [
      '@import url(x); td { color: red }',
      'td { color: \\72 ed }',
      'td { color: red }</style><script>x()</script>',
      'td {',
    ])
      expect(scopedCss(dropped, 'o1'), dropped).toBe('');
  });

  it('writes the notebook markup as it is, scripts included, when trusted', () => {
    const nb = executedNotebook();
    nb.cells.push(
      codeCell('show()', {
        outputs: [
          {
            output_type: 'display_data',
            data: { 'application/javascript': 'x("</script>")', 'text/html': '<b onclick="x()">b</b>' },
            metadata: {},
          },
        ],
      }),
    );
    const trusted = renderNotebookHtml(nb, { trusted: true });
    expect(trusted).not.toContain('Content-Security-Policy');
    expect(trusted).toContain('<script>x("<\\/script>")</script>');
    expect(trusted).toContain('Trusted report');
  });
});
