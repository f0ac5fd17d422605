// The executed notebook the HTML report tests render (report-html.test.ts, and report-browser.test.ts in Chromium).
import { codeCell, emptyNotebook, markdownCell, type Notebook } from '@nbpipe/nbformat';

// A 2×2 red PNG.
export const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

export function executedNotebook(): Notebook {
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
