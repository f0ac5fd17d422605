import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { codeCell, emptyNotebook, markdownCell, serialize } from '@nbpipe/nbformat';
import { nbpipe, removeAfterTest, tempRepo } from '../helpers.js';

// The HTML report of a notebook from an untrusted pull request, made by `nbpipe run` on Debian's ipykernel and
// opened in headless Chromium. Every payload tries to set a `data-*` attribute on <html>: none may.

const mark = (id: string) => `document.documentElement.dataset.${id}=1`;

// A 2×2 red PNG.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';
const DATAFRAME =
  '<div><style scoped>.dataframe tbody tr th {vertical-align: top;}</style><table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th><th>amount</th></tr></thead>' +
  '<tbody><tr><th>0</th><td>10</td></tr><tr><th>1</th><td>20</td></tr></tbody></table></div>';

const PAYLOAD_OUTPUTS: Record<string, string>[] = [
  { 'text/html': `<script>${mark('htmlscript')}</script>` },
  { 'text/html': `<img src=x onerror="${mark('htmlimg')}">` },
  { 'text/html': `<svg onload="${mark('htmlsvg')}"><script>${mark('htmlsvgscript')}</script></svg>` },
  { 'text/html': `<svg><style><img src=x onerror="${mark('mxss')}"></style></svg>` },
  { 'text/html': `<a class="payload-link" href="javascript:${mark('htmllink')}">html link</a>` },
  { 'text/html': `<iframe srcdoc="<script>parent.${mark('srcdoc')}</script>"></iframe>` },
  { 'text/html': '<meta http-equiv="refresh" content="1;url=about:blank#moved">' },
  { 'text/html': '<style>body, .cell {display: none}</style>' },
  { 'text/markdown': `<img src=x onerror="${mark('mdoutput')}">` },
  {
    'image/svg+xml': `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="${mark('svgoutput')}"><script>${mark('svgoutputscript')}</script><rect width="20" height="20" fill="red"/></svg>`,
  },
  { 'image/png': `x" onerror="${mark('pngbreakout')}`, 'text/plain': 'broken' },
  { 'application/javascript': mark('javascript') },
];
const GOOD_OUTPUTS: Record<string, string>[] = [
  { 'text/html': DATAFRAME, 'text/plain': 'a DataFrame' },
  { 'image/png': PNG, 'text/plain': '<Figure>' },
  { 'text/html': '<span class="styled" style="color: rgb(255, 0, 0)">red text</span>' },
  // what pandas' Styler writes
  {
    'text/html':
      '<style type="text/css">\n#T_sales_row0_col0 {\n  background-color: rgb(0, 128, 0);\n}\n</style>\n<table id="T_sales"><tr><td id="T_sales_row0_col0" class="data">green</td></tr></table>',
  },
];

function payloadNotebook(): string {
  const nb = emptyNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } });
  const display = (bundles: Record<string, string>[]) =>
    // JSON strings are Python string literals
    `from IPython.display import display\nfor bundle in ${JSON.stringify(bundles)}:\n    display(bundle, raw=True)`;
  nb.cells.push(
    markdownCell(`# Payloads\n\n<script>${mark('mdscript')}</script>\n\n<img src=x onerror="${mark('mdimg')}">`),
    markdownCell(`<details open ontoggle="${mark('mdtoggle')}"><summary>details</summary>text</details>`),
    markdownCell(`[markdown link](javascript:${mark('mdlink')})`),
    markdownCell('![attached](attachment:bad.png)', {
      attachments: { 'bad.png': { 'image/png': `x" onerror="${mark('attachment')}` } },
    }),
    codeCell('upstream = None\nproduct = None', { metadata: { tags: ['parameters'] } }),
    codeCell(display(PAYLOAD_OUTPUTS)),
    codeCell(display(GOOD_OUTPUTS)),
  );
  for (const [index, cell] of nb.cells.entries()) cell.id = `cell-${index}`;
  return serialize(nb);
}

const PIPELINE = `tasks:
  - source: payloads.ipynb
    name: untrusted
    product: out/untrusted.html
  - source: payloads.ipynb
    name: trusted
    product: out/trusted.html
    nbconvert_export_kwargs: {sanitize_html: false}
`;

interface Opened {
  marks: string[];
  errors: string[];
  cspViolations: string[];
  url: string;
  visible: Record<string, { width: number; height: number; naturalWidth?: number }>;
  stylerBackground: string;
}

describe.skipIf(!existsSync('/usr/bin/chromium'))('HTML report of an untrusted notebook', () => {
  let browser: Browser;
  let reports: string;
  let cleanup: () => void;
  beforeAll(async () => {
    const repo = tempRepo();
    cleanup = repo.cleanup;
    repo.write('payloads.ipynb', payloadNotebook());
    repo.write('pipeline.yaml', PIPELINE);
    const ran = nbpipe(['run'], { cwd: repo.dir, env: { GITHUB_EVENT_NAME: '' } });
    expect(ran.code, ran.stderr).toBe(0);
    reports = join(repo.dir, 'out');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    cleanup?.();
  });

  async function open(path: string): Promise<Opened> {
    const page = await browser.newPage();
    const errors: string[] = [];
    const cspViolations: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const url = `file://${path}`;
    await page.goto(url);
    // before the links are clicked and a `<meta http-equiv=refresh>` may have navigated away
    const marksOnLoad = await page.evaluate(() => Object.keys(document.documentElement.dataset));
    for (const link of await page.locator('a').all())
      await link.click({ noWaitAfter: true, timeout: 2000 }).catch(() => {});
    await page.waitForTimeout(1500); // past the refresh payload's 1 s
    const visible: Opened['visible'] = {};
    for (const [name, selector] of [
      ['table', 'table.dataframe'],
      ['png', 'img[alt="image/png"]'],
      ['svg', 'img[alt="image/svg+xml"]'],
      ['styled', 'span.styled'],
    ] as const) {
      const element = page.locator(selector).first();
      if (!(await element.count()) || !(await element.isVisible())) continue;
      const box = (await element.boundingBox())!;
      const naturalWidth = await element.evaluate((e) => (e instanceof HTMLImageElement ? e.naturalWidth : undefined));
      visible[name] = { width: box.width, height: box.height, ...(naturalWidth !== undefined && { naturalWidth }) };
    }
    const stylerBackground = await page.evaluate(() => {
      const cell = document.getElementById('T_sales_row0_col0');
      return cell ? getComputedStyle(cell).backgroundColor : 'missing';
    });
    const marks = [
      ...new Set([...marksOnLoad, ...(await page.evaluate(() => Object.keys(document.documentElement.dataset)))]),
    ];
    const opened = { marks, errors, cspViolations, url: page.url(), visible, stylerBackground };
    await page.close();
    return opened;
  }

  it('runs no payload, and still shows the tables, their Styler colours, images and styled text', async () => {
    const report = await open(join(reports, 'untrusted.html'));
    expect(report.marks).toEqual([]);
    expect(report.errors).toEqual([]);
    // the markup itself holds nothing for the policy to block: each layer alone stops every payload
    expect(report.cspViolations).toEqual([]);
    expect(report.url).toBe(`file://${join(reports, 'untrusted.html')}`);
    for (const name of ['table', 'png', 'svg', 'styled']) {
      expect(report.visible[name], name).toBeDefined();
      expect(report.visible[name]!.width, name).toBeGreaterThan(0);
      expect(report.visible[name]!.height, name).toBeGreaterThan(0);
    }
    expect(report.visible.png!.naturalWidth).toBe(2);
    expect(report.visible.svg!.naturalWidth).toBe(20);
    expect(report.stylerBackground).toBe('rgb(0, 128, 0)');
  });

  it('runs the scripts of a report made with sanitize_html: false (the opt-in for trusted notebooks)', async () => {
    const report = await open(join(reports, 'trusted.html'));
    expect(report.marks).toEqual(expect.arrayContaining(['htmlscript', 'htmlimg', 'javascript', 'mdscript']));
  });

  it('ignores sanitize_html: false in a pull request build', async () => {
    const repo = tempRepo();
    removeAfterTest(repo.cleanup);
    repo.write('payloads.ipynb', payloadNotebook());
    repo.write('pipeline.yaml', PIPELINE);
    const ran = nbpipe(['run', 'trusted', '--only'], {
      cwd: repo.dir,
      env: { GITHUB_EVENT_NAME: 'pull_request_target' },
    });
    expect(ran.code, ran.stderr).toBe(0);
    const report = await open(join(repo.dir, 'out/trusted.html'));
    expect(report.marks).toEqual([]);
    expect(repo.read('out/trusted.html')).toContain('ignored in a pull request build');
  });
});
