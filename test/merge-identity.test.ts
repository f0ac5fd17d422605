// Cell identity through real git (README: "Cell identity and volatile metadata"): the filter set up by `nbpipe install`
// commits Jupyter's cell ids unchanged, and the merge driver merges an insertion at the top on one branch with an
// edit of the last cell on the other cleanly, whether the committed ids are Jupyter's or positions written by the old
// renumbering filter (`strip.keepId: false`).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, parse, serialize, type Cell, type Notebook } from '@nbpipe/nbformat';
import { SYSTEM_PYTHON, nbpipe, removeAfterTest, run, tempRepo } from './helpers.js';

const RENUMBER = JSON.stringify({ strip: { keepId: false } });

const notebookText = (cells: Cell[], version = '3.11.4'): string =>
  serialize({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python', version },
    },
    cells,
  } satisfies Notebook);

const ran = (text: string, count: number) => ({
  execution_count: count,
  outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text }],
});

const BASE = [
  markdownCell('# Sales\nQuarterly figures by region.', { id: '5f1c9a0e' }),
  codeCell('import pandas as pd\nsales = pd.read_csv("sales.csv")', { id: 'b8e2d417' }),
  codeCell('by_region = sales.groupby("region").sum()\nprint(by_region)', { id: '03ac6e9f', ...ran('north 10\n', 2) }),
  codeCell('by_region.plot(kind="bar")', { id: 'e4d7b2c1' }),
];
const TOP = codeCell('%matplotlib inline', { id: '7a9d3e55' });
const LAST = 'by_region.plot(kind="barh", title="Sales by region")';

function repo() {
  const r = tempRepo();
  removeAfterTest(r.cleanup);
  const installed = nbpipe(['install'], { cwd: r.dir });
  expect(installed.code, installed.stderr).toBe(0);
  // The configuration stands for the nbpipe version in use, not for the history: never committed.
  r.write('.git/info/exclude', '.nbpiperc.json\n');
  const commit = (message: string, text: string) => {
    r.write('nb.ipynb', text);
    r.git('add', '-A');
    r.git('commit', '-q', '-m', message);
  };
  const committedIds = (rev: string) => parse(r.git('show', `${rev}:nb.ipynb`).stdout).cells.map((c) => c.id);
  return { ...r, commit, committedIds };
}

/** main inserts a cell at the top, topic edits the last cell; each side re-ran the notebook on its own python. */
function divergingBranches(r: ReturnType<typeof repo>, branchConfig?: string) {
  r.commit('base', notebookText(BASE));
  // Both branches start from the committed notebook, as in a fresh clone.
  r.write('nb.ipynb', r.git('show', 'HEAD:nb.ipynb').stdout);
  if (branchConfig !== undefined) r.write('.nbpiperc.json', branchConfig);
  r.git('checkout', '-q', '-b', 'topic');
  const checkedOut = parse(r.read('nb.ipynb')).cells;
  r.commit(
    'edit the plot',
    notebookText(
      checkedOut.map((c, k) => (k === checkedOut.length - 1 ? { ...c, source: LAST } : c)),
      '3.12.1',
    ),
  );
  r.git('checkout', '-q', 'main');
  r.commit('set up inline plots', notebookText([TOP, ...parse(r.read('nb.ipynb')).cells], '3.11.9'));
  return run('git', ['merge', '--no-edit', 'topic'], { cwd: r.dir, allowFailure: true });
}

function expectBothEdits(r: ReturnType<typeof repo>): void {
  const merged = parse(r.read('nb.ipynb'));
  expect(merged.cells.map((c) => c.source)).toEqual([TOP.source, ...BASE.slice(0, -1).map((c) => c.source), LAST]);
  expect(merged.metadata.nbpipe).toBeUndefined();
  expect(nbpipe(['conflicts', 'nb.ipynb'], { cwd: r.dir }).code).toBe(0);
  const valid = spawnSync(
    SYSTEM_PYTHON,
    ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))', join(r.dir, 'nb.ipynb')],
    {
      encoding: 'utf8',
    },
  );
  expect(valid.status, valid.stderr).toBe(0);
}

describe('cell identity through git', () => {
  it("the filter nbpipe install sets up commits Jupyter's cell ids unchanged; strip.keepId: false renumbers them", () => {
    const r = repo();
    r.commit('base', notebookText(BASE));
    expect(r.committedIds('HEAD')).toEqual(BASE.map((c) => c.id));
    r.write('.nbpiperc.json', RENUMBER);
    r.commit('renumbered', notebookText([TOP, ...BASE]));
    expect(r.committedIds('HEAD')).toEqual(['0', '1', '2', '3', '4']);
  });

  it("merges an insertion at the top with an edit of the last cell cleanly (Jupyter's ids)", () => {
    const r = repo();
    const merge = divergingBranches(r);
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    expectBothEdits(r);
    expect(parse(r.read('nb.ipynb')).cells.map((c) => c.id)).toEqual([TOP.id, ...BASE.map((c) => c.id)]);
    // language_info.version changed on both sides: volatile, main's kept without a conflict.
    expect(parse(r.read('nb.ipynb')).metadata.language_info).toEqual({ name: 'python', version: '3.11.9' });
  });

  it.each([
    ['every commit renumbered by the old filter', RENUMBER],
    ['positional ids committed by the old filter, the branches committed with ids kept', '{}'],
  ])('merges the same cleanly in a repository whose ids are positions: %s', (_, branchConfig) => {
    const r = repo();
    r.write('.nbpiperc.json', RENUMBER);
    const merge = divergingBranches(r, branchConfig);
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    expect(r.committedIds('main~2')).toEqual(['0', '1', '2', '3']);
    expectBothEdits(r);
  });
});
