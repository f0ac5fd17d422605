import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

// `npm run demo` checks each of its steps itself (and exits 1 naming the step that broke); this test runs
// it against the built CLI so the demo cannot silently rot, and pins the lines a reader relies on.
describe('npm run demo', () => {
  it('runs every step against the built CLI and exits 0', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 110_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).not.toMatch(/demo failed/);
    expect(result.status, output).toBe(0);
    expect(output).not.toMatch(/\x1b\[/); // plain text when not on a terminal
    for (const line of [
      '== 1. install: git filter, diff and merge drivers, hooks; doctor checks them ==',
      'ok  git pre-commit hook',
      '$ git show HEAD:notebooks/analysis.ipynb',
      '(3 cell(s) kept their outputs, 1 edited, 1 new)',
      'nbpipe: synced from notebooks/analysis.py, staged notebooks/analysis.ipynb',
      '## cell 1 (code) modified',
      'CONFLICT (content): Merge conflict in notebooks/analysis.ipynb',
      'notebooks/analysis.ipynb: cell 1 (source): conflict markers in the source (line 1)',
      'notebooks/analysis.ipynb: valid',
      'ran 4, skipped 0',
      'ran 0, skipped 4',
      'ran 3, skipped 1',
      '4 task(s), 0 outdated',
      'flowchart LR',
      'kind: Workflow',
    ])
      expect(output).toContain(line);
    expect(output).toMatch(/demo finished in [\d.]+ s: every step checked\./);
  }, 120_000);
});
