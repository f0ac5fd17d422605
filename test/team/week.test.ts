// A week of two people's work on one repository, through git and the nbpipe CLI only (README: "Working as a team").
// Each scenario starts from the same project: a notebook paired with a percent script, and a two-task pipeline whose
// first task's source is a paired notebook. Every scenario checks the working copy's outputs, the committed blobs,
// `git status`, `nbpipe sync --check` and, where the pipeline is involved, what ran.
import { describe, expect, it } from 'vitest';
import {
  expectNoMarkers,
  expectStripped,
  notebookText,
  outputText,
  ranTasks,
  sourceOf,
  startTeam,
  type Teammate,
} from './harness.js';

const EXPLORE = notebookText([
  { type: 'markdown', id: 'intro-md', source: '# Explore the rows' },
  { id: 'load-rows', source: 'rows = [1, 2, 3]' },
  { id: 'sum-rows', source: 'total = sum(rows)\nprint(total)' },
  { id: 'scale', source: 'x = 1\nprint(x * total)' },
]);

const LOAD_TASK = notebookText([
  { id: 'params', source: 'upstream = None\nproduct = None', tags: ['parameters'] },
  { id: 'rows', source: 'rows = [1, 2, 3]' },
  { id: 'write', source: "open(product['data'], 'w').write(str(sum(rows)))" },
]);

const REPORT_TASK = `# %% tags=["parameters"]
upstream = ['load']
product = None

# %%
total = open(upstream['load']['data']).read()
open(product['data'], 'w').write('total ' + total)
`;

const PIPELINE = `executor: python
tasks:
  - source: tasks/load.ipynb
    product:
      nb: out/load.ipynb
      data: out/load.txt
  - source: tasks/report.py
    product:
      nb: out/report.ipynb
      data: out/report.txt
`;

function startProject() {
  return startTeam(
    {
      '.gitignore': 'out/\n',
      'notebooks/explore.ipynb': EXPLORE,
      'tasks/load.ipynb': LOAD_TASK,
      'tasks/report.py': REPORT_TASK,
      'pipeline.yaml': PIPELINE,
    },
    (founder) => {
      for (const nb of ['notebooks/explore.ipynb', 'tasks/load.ipynb']) {
        const pair = founder.nbpipe('pair', nb, '--formats', 'ipynb,py:percent');
        expect(pair.code, pair.stderr).toBe(0);
      }
    },
  );
}

/** What every step must leave: nothing to commit, pairs in step, no marker anywhere, stripped blobs. */
function expectSettled(person: Teammate): void {
  expect(person.status()).toBe('');
  const check = person.nbpipe('sync', '--check', 'notebooks/explore.ipynb', 'tasks/load.ipynb');
  expect(check.code, check.stdout + check.stderr).toBe(0);
  for (const path of ['notebooks/explore.ipynb', 'notebooks/explore.py', 'tasks/load.ipynb', 'tasks/load.py'])
    expectNoMarkers(person.read(path));
  expectStripped(person.committed('notebooks/explore.ipynb'));
  expectStripped(person.committed('tasks/load.ipynb'));
}

/**
 * Outputs alone are nothing to commit. git may still list the notebook as modified, since a new file size makes it
 * skip the filter (README: output-only changes); `nbpipe refresh` settles that without staging anything.
 */
function expectOutputsAloneNothingToCommit(person: Teammate): void {
  expect(person.git('diff', '--cached', '--name-only').stdout).toBe('');
  const refresh = person.nbpipe('refresh');
  expect(refresh.code, refresh.stderr).toBe(0);
  expect(person.status()).toBe('');
}

const EXPLORE_NB = 'notebooks/explore.ipynb';
const EXPLORE_PY = 'notebooks/explore.py';

type Change = [path: string, from: string, to: string];

/** Bob pushes his change first; Alice, her notebook executed, commits hers and pulls (`--rebase` or `--no-rebase`). */
function bothChange(bobs: Change, alices: Change, pullMode: '--rebase' | '--no-rebase') {
  const team = startProject();
  const alice = team.join('alice');
  const bob = team.join('bob');
  bob.edit(...bobs);
  bob.git('commit', '-q', '-am', `bob: ${bobs[2]}`);
  bob.git('push', '-q');
  alice.execute(EXPLORE_NB);
  alice.edit(...alices);
  alice.git('commit', '-q', '-am', `alice: ${alices[2]}`);
  return { alice, pull: alice.tryGit('pull', '-q', pullMode) };
}

describe('a week of two people on one repository', () => {
  it('Monday: a fresh clone runs what is outdated with `run --changed`, and the committed notebooks are stripped', () => {
    const team = startProject();
    const alice = team.join('alice');
    expectSettled(alice);
    const first = alice.nbpipe('run', '--changed');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(ranTasks(first)).toEqual(['load', 'report']);
    expect(alice.read('out/report.txt')).toBe('total 6');
    const again = alice.nbpipe('run', '--changed');
    expect(again.code).toBe(0);
    expect(ranTasks(again)).toEqual([]);
    expectSettled(alice);

    // Bob changes the first task through its script; after the pull, Alice's `run --changed` runs it and its downstream.
    const bob = team.join('bob');
    bob.edit('tasks/load.py', 'rows = [1, 2, 3]', 'rows = [1, 2, 3, 4]');
    bob.git('commit', '-q', '-am', 'load: one more row');
    expect(bob.committed('tasks/load.ipynb').cells.map(sourceOf)).toContain('rows = [1, 2, 3, 4]');
    bob.git('push', '-q');
    alice.git('pull', '-q');
    const changed = alice.nbpipe('run', '--changed');
    expect(changed.code, changed.stdout + changed.stderr).toBe(0);
    expect(ranTasks(changed)).toEqual(['load', 'report']);
    expect(alice.read('out/report.txt')).toBe('total 10');
    expect(alice.nbpipe('status').stdout).not.toMatch(/outdated/);
    expectSettled(alice);
  });

  it('Tuesday: an insert through the .py and an edit in the notebook merge cleanly, and the outputs of the cells Alice had survive', () => {
    const team = startProject();
    const alice = team.join('alice');
    const bob = team.join('bob');

    alice.execute(EXPLORE_NB);
    expectOutputsAloneNothingToCommit(alice);

    bob.edit(EXPLORE_PY, '# %%\nrows = [1, 2, 3]', '# %%\nimport math\n\n# %%\nrows = [1, 2, 3]');
    bob.git('commit', '-q', '-am', 'explore: import math first');
    bob.git('push', '-q');

    alice.edit(EXPLORE_NB, 'x = 1', 'x = 10');
    alice.execute(EXPLORE_NB, (source) => source.startsWith('x = 10'));
    alice.git('commit', '-q', '-am', 'explore: scale by ten');
    const pull = alice.tryGit('pull', '--no-rebase', '-q');
    expect(pull.code, pull.stdout + pull.stderr).toBe(0);

    const cells = alice.notebook(EXPLORE_NB).cells.map(sourceOf);
    expect(cells).toEqual([
      '# Explore the rows',
      'import math',
      'rows = [1, 2, 3]',
      'total = sum(rows)\nprint(total)',
      'x = 10\nprint(x * total)',
    ]);
    expect(alice.outputs(EXPLORE_NB)).toEqual([
      [],
      [],
      [outputText('alice', 'rows = [1, 2, 3]')],
      [outputText('alice', 'total = sum(rows)')],
      [outputText('alice', 'x = 10')],
    ]);
    expect(alice.read(EXPLORE_PY)).toContain('import math');
    expect(alice.read(EXPLORE_PY)).toContain('x = 10');
    expectSettled(alice);
  });

  it('Wednesday: with `pull --rebase`, the cell the other side changed loses its outputs and the others keep theirs', () => {
    const { alice, pull } = bothChange(
      [EXPLORE_NB, 'rows = [1, 2, 3]', 'rows = [1, 2, 3, 4]'],
      [EXPLORE_PY, 'x = 1', 'x = 2'],
      '--rebase',
    );
    expect(pull.code, pull.stdout + pull.stderr).toBe(0);

    const nb = alice.notebook(EXPLORE_NB);
    expect(nb.cells.map(sourceOf)).toEqual([
      '# Explore the rows',
      'rows = [1, 2, 3, 4]',
      'total = sum(rows)\nprint(total)',
      'x = 2\nprint(x * total)',
    ]);
    expect(alice.outputs(EXPLORE_NB)).toEqual([[], [], [outputText('alice', 'total = sum(rows)')], []]);
    expectSettled(alice);
  });

  describe('Thursday: both change `x = 1` through the script, and the merge conflicts in both members of the pair', () => {
    function conflicted() {
      const { alice, pull } = bothChange([EXPLORE_PY, 'x = 1', 'x = 3'], [EXPLORE_PY, 'x = 1', 'x = 2'], '--no-rebase');
      expect(pull.code).not.toBe(0);
      expect(alice.git('diff', '--name-only', '--diff-filter=U').stdout.split('\n').filter(Boolean).sort()).toEqual([
        EXPLORE_NB,
        EXPLORE_PY,
      ]);
      const listed = alice.nbpipe('conflicts');
      expect(listed.code).toBe(1);
      expect(listed.stdout).toContain(EXPLORE_NB);
      expect(listed.stdout).toContain(EXPLORE_PY);
      return alice;
    }

    /** The conflicted cell, as text with the markers, in either member. */
    function resolveNotebook(alice: Teammate, value: string) {
      const nb = alice.notebook(EXPLORE_NB);
      const cell = nb.cells.find((c) => /^<<<<<<< /m.test(sourceOf(c)))!;
      expect(cell, 'a cell with markers').toBeDefined();
      cell.source = [`x = ${value}\n`, 'print(x * total)'];
      alice.write(EXPLORE_NB, JSON.stringify(nb, null, 1) + '\n');
    }

    /** Commit both members as the user would after resolving one, and check the merge is finished with `value`. */
    function commitAndExpectFinished(alice: Teammate, value: string) {
      alice.git('add', EXPLORE_NB, EXPLORE_PY);
      const commit = alice.tryGit('commit', '-q', '--no-edit');
      expect(commit.code, commit.stdout + commit.stderr).toBe(0);
      expect(alice.tryGit('rev-parse', '-q', '--verify', 'MERGE_HEAD').code).not.toBe(0);
      for (const text of [alice.read(EXPLORE_PY), alice.git('show', `HEAD:${EXPLORE_PY}`).stdout])
        expect(text).toContain(`x = ${value}\n`);
      const committed = alice.committed(EXPLORE_NB);
      expect(committed.cells.map(sourceOf)).toContain(`x = ${value}\nprint(x * total)`);
      expect(alice.nbpipe('conflicts').code).toBe(0);
      expectSettled(alice);
      // The cells nobody changed keep Alice's outputs.
      expect(alice.outputs(EXPLORE_NB)[1]).toEqual([outputText('alice', 'rows = [1, 2, 3]')]);
    }

    it('resolved in the notebook with our value: the commit takes it into the script', () => {
      const alice = conflicted();
      resolveNotebook(alice, '2');
      commitAndExpectFinished(alice, '2');
    });

    it('resolved in the script with their value: the commit takes it into the notebook', () => {
      const alice = conflicted();
      const py = alice.read(EXPLORE_PY);
      alice.write(EXPLORE_PY, py.replace(/<<<<<<< [^\n]*\n[\s\S]*?=======\n([\s\S]*?)>>>>>>> [^\n]*\n/, '$1'));
      commitAndExpectFinished(alice, '3');
    });

    it('resolved in the notebook with a new value: the commit takes it into the script', () => {
      const alice = conflicted();
      resolveNotebook(alice, '5');
      commitAndExpectFinished(alice, '5');
    });

    it('left conflicted: the commit is refused with the commands that finish it, and nothing is committed', () => {
      const alice = conflicted();
      const head = alice.git('rev-parse', 'HEAD').stdout;
      alice.git('add', EXPLORE_NB, EXPLORE_PY);
      const commit = alice.tryGit('commit', '-q', '--no-edit');
      expect(commit.code).not.toBe(0);
      expect(commit.stderr).toMatch(/nbpipe sync --prefer/);
      expect(alice.git('rev-parse', 'HEAD').stdout).toBe(head);
      expect(alice.git('rev-parse', '-q', '--verify', 'MERGE_HEAD').code).toBe(0);
    });
  });

  it('Friday: stash, pull and stash pop keep the outputs of the cells Alice had', () => {
    const team = startProject();
    const alice = team.join('alice');
    const bob = team.join('bob');
    bob.edit(EXPLORE_NB, 'x = 1', 'x = 7');
    bob.git('commit', '-q', '-am', 'explore: x = 7');
    bob.git('push', '-q');

    alice.execute(EXPLORE_NB);
    alice.edit(EXPLORE_NB, '# Explore the rows', '# Explore the rows, again');
    alice.git('stash', '-q');
    alice.git('pull', '-q', '--no-rebase');
    alice.git('stash', 'pop', '-q');
    const sources = alice.notebook(EXPLORE_NB).cells.map(sourceOf);
    expect(sources).toEqual([
      '# Explore the rows, again',
      'rows = [1, 2, 3]',
      'total = sum(rows)\nprint(total)',
      'x = 7\nprint(x * total)',
    ]);
    expect(alice.outputs(EXPLORE_NB)).toEqual([
      [],
      [outputText('alice', 'rows = [1, 2, 3]')],
      [outputText('alice', 'total = sum(rows)')],
      [],
    ]);
    // The stashed edit came back as an edit of the notebook only: the hook syncs the pair when it is committed.
    alice.git('commit', '-q', '-am', 'explore: title');
    expectSettled(alice);
  });

  it('two notebooks with the same code keep their own outputs through a stash', () => {
    const month = (name: string) =>
      notebookText([
        { id: `${name}-1`, source: "rows = load('month')" },
        { id: `${name}-2`, source: 'print(len(rows))' },
      ]);
    const team = startTeam({ 'jan.ipynb': month('jan'), 'feb.ipynb': month('feb') });
    const alice = team.join('alice');
    // Both ran, on different data: different outputs for the same code.
    alice.execute('jan.ipynb');
    alice.execute('feb.ipynb');
    alice.write('feb.ipynb', alice.read('feb.ipynb').replaceAll('alice ran', 'alice ran in February'));
    expectOutputsAloneNothingToCommit(alice);
    const janOutputs = () => alice.outputs('jan.ipynb');
    const febOutputs = () => alice.outputs('feb.ipynb');
    const jan = janOutputs();
    const feb = febOutputs();
    expect(feb).not.toEqual(jan);
    alice.edit('jan.ipynb', 'print(len(rows))', 'print(len(rows), rows[0])');
    alice.edit('feb.ipynb', 'print(len(rows))', 'print(len(rows), rows[0])');
    alice.git('stash', '-q');
    expect(janOutputs()).toEqual(jan);
    expect(febOutputs()).toEqual(feb);
    alice.git('stash', 'pop', '-q');
    expect(janOutputs()[0]).toEqual(jan[0]);
    expect(febOutputs()[0]).toEqual(feb[0]);
  });

  it("reviews: `git show`, `log -p`, `diff A B` and `diff --cached` show what is committed, never the working copy's outputs", () => {
    const team = startProject();
    const alice = team.join('alice');
    alice.execute(EXPLORE_NB);
    alice.edit(EXPLORE_NB, 'x = 1', 'x = 4');
    alice.git('commit', '-q', '-am', 'explore: x = 4');
    // The working file now has outputs and the same stat data as the index: git may hand it to the drivers.
    expect(alice.outputs(EXPLORE_NB)[2]).toHaveLength(1);
    for (const server of ['1', '0']) {
      alice.env.NBPIPE_DRIVER_SERVER = server;
      for (const args of [
        ['show', 'HEAD'],
        ['log', '-p', '-2'],
        ['diff', 'HEAD~1', 'HEAD'],
        ['diff', '--cached', 'HEAD~1'],
      ]) {
        const shown = alice.git(...args).stdout;
        expect(shown, `git ${args.join(' ')}, server ${server}`).toMatch(/x = 4/);
        expect(shown, `git ${args.join(' ')}, server ${server}`).not.toMatch(/alice ran/);
      }
    }
  });

  it('the runner counts both members of a pair as the task source: an edit of the script makes the task outdated and runs', () => {
    const team = startProject();
    const alice = team.join('alice');
    expect(ranTasks(alice.nbpipe('run'))).toEqual(['load', 'report']);
    alice.edit('tasks/load.py', 'rows = [1, 2, 3]', 'rows = [1, 2, 3, 4]');
    const status = alice.nbpipe('status');
    expect(status.stdout).toMatch(/load\s+outdated/);
    for (const dryRun of [alice.nbpipe('run', '-n'), alice.nbpipe('run', '--changed', '-n')])
      expect(dryRun.stdout).toMatch(/^run\s+load\b/m);
    const ran = alice.nbpipe('run');
    expect(ranTasks(ran)).toEqual(['load', 'report']);
    expect(alice.read('out/report.txt')).toBe('total 10');
    alice.git('commit', '-q', '-am', 'load: one more row');
    expectSettled(alice);
  });
});
