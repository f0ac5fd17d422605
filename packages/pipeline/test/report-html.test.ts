import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, emptyNotebook, markdownCell, type Notebook } from '@nbpipe/nbformat';
import { renderNotebookHtml } from '../src/report/html.js';
import { scopedCss } from '../src/report/safe-markup.js';
import { tempDir } from '@nbpipe/test-support';

// A 2×2 red PNG.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

function executedNotebook(): Notebook {
  const nb = emptyNotebook({
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    language_info: { name: 'python' },
  });
  nb.cells = [
    markdownCell('# Sales report\n\nSome *emphasis* and a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |'),
    codeCell('import os\nprint("hello <world>")', {
      execution_count: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'hello <world>\n' }],
    }),
    codeCell('plot()', {
      execution_count: 2,
      outputs: [
        { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<Figure>' }, metadata: {} },
        {
          output_type: 'execute_result',
          execution_count: 2,
          data: { 'text/html': '<b class="rich">rich</b>', 'text/plain': 'rich' },
          metadata: {},
        },
      ],
    }),
    codeCell('1/0', {
      execution_count: 3,
      outputs: [
        {
          output_type: 'error',
          ename: 'ZeroDivisionError',
          evalue: 'division by zero',
          traceback: ['\u001b[0;31mZeroDivisionError\u001b[0m: division by zero'],
        },
      ],
    }),
  ];
  return nb;
}

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

  it.skipIf(!existsSync('/usr/bin/chromium'))('opens in headless Chromium with its images shown', async () => {
    const { chromium } = await import('playwright-core');
    const { dir, cleanup } = tempDir();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, html);
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      const images = await page.evaluate(() =>
        Array.from(document.images).map((img) => ({
          complete: img.complete,
          width: img.naturalWidth,
          height: img.naturalHeight,
        })),
      );
      expect(images).toEqual([{ complete: true, width: 2, height: 2 }]);
      expect(await page.locator('.cell.failed').count()).toBe(1);
      expect(await page.title()).toBe('sales.ipynb');
    } finally {
      await browser.close();
      cleanup();
    }
  });
});
