#!/usr/bin/env node
// The demo behind `npm run demo`: copies examples/ into a fresh git repository in a temp dir and drives
// the built nbpipe CLI through each capability, printing every command with its real output.
// Every step checks what it claims and throws if it does not hold, so test/demo.test.ts catches regressions.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/cli/bin/nbpipe.js');
const EXAMPLES = join(ROOT, 'examples');
const KEEP = process.argv.includes('--keep'); // leave the demo repository in place to explore it

const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code) => (text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const cyan = paint('36');

if (!existsSync(join(ROOT, 'packages/cli/dist/bin.js'))) {
  console.error('demo: the CLI is not built; run `npm run build` first (or `npm run demo`, which does)');
  process.exit(2);
}

const repo = mkdtempSync(join(tmpdir(), 'nbpipe-demo-'));
// Isolated from the user's and the system's git configuration, so the demo behaves the same everywhere.
const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: join(repo, '.git', 'no-global-config'),
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
  NO_COLOR: '1',
  LC_ALL: 'C',
};
delete env.GIT_DIR;
delete env.GIT_WORK_TREE;
delete env.GIT_INDEX_FILE;

let stepNumber = 0;
function step(title) {
  stepNumber += 1;
  console.log(`\n${bold(`== ${stepNumber}. ${title} ==`)}`);
}

function note(text) {
  console.log(dim(`# ${text}`));
}

function check(condition, message) {
  if (!condition) throw new Error(`demo step ${stepNumber}: ${message}`);
}

/**
 * Runs a command in the demo repository (or `cwd` inside it), prints `$ display` and its stdout and
 * stderr interleaved as a terminal would show them, and checks the exit code (`expect`, default 0).
 * `lines` abbreviates long output to its first lines.
 */
function sh(display, command, args, { cwd = '.', expect = 0, lines = Infinity } = {}) {
  console.log(cyan(`$ ${display}`));
  const capture = join(repo, '.git', 'demo-output');
  const fd = openSync(capture, 'w');
  let result;
  try {
    result = spawnSync(command, args, { cwd: join(repo, cwd), env, stdio: ['ignore', fd, fd], timeout: 60_000 });
  } finally {
    closeSync(fd);
  }
  const output = readFileSync(capture, 'utf8');
  const shown = output.replace(/\n$/, '').split('\n');
  if (output !== '') {
    console.log(shown.slice(0, lines).join('\n'));
    if (shown.length > lines) console.log(dim(`... (${shown.length - lines} more lines)`));
  }
  const code = result.status ?? -1;
  if (code !== 0 || expect !== 0) console.log(dim(`[exit ${code}]`));
  if (result.error) throw new Error(`demo step ${stepNumber}: ${display}: ${result.error.message}`);
  check(code === expect, `\`${display}\` exited ${code}, expected ${expect}`);
  return { code, output };
}

/** An argument as a shell would need it written. */
const quote = (arg) => (/^[\w@%+=:,./~^-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
const nbpipe = (args, options) => sh(`nbpipe ${args.map(quote).join(' ')}`, process.execPath, [CLI, ...args], options);
const git = (args, options) => sh(`git ${args.map(quote).join(' ')}`, 'git', args, options);
/** git without printing: plumbing the demo uses to check its claims. */
function gitQuiet(...args) {
  const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  check(r.status === 0, `git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const file = (path) => join(repo, path);
const read = (path) => readFileSync(file(path), 'utf8');
const write = (path, text) => writeFileSync(file(path), text);
function edit(path, from, to) {
  const text = read(path);
  check(text.includes(from), `${path} does not contain ${JSON.stringify(from)}`);
  write(path, text.replace(from, to));
}
/** Output count per cell: what the filter, sync and merge promise to keep (or drop). */
function outputCounts(notebookText) {
  return JSON.parse(notebookText).cells.map((cell) => (cell.outputs ?? []).length);
}
function showOutputCounts(path) {
  const script =
    `const nb = JSON.parse(require('fs').readFileSync('${path}', 'utf8'));\n` +
    `for (const c of nb.cells) console.log(c.cell_type.padEnd(8), String((c.outputs ?? []).length).padStart(2), 'output(s) ', c.source.join('').split('\\n')[0]);`;
  sh(`node -e "<print each cell's output count> ${path}"`, process.execPath, ['-e', script]);
  return outputCounts(read(path));
}

const NB = 'notebooks/analysis.ipynb';
const PY = 'notebooks/analysis.py';
const started = Date.now();

try {
  console.log(bold('nbpipe demo'));
  note(`examples/ copied into a new git repository: ${repo}`);
  cpSync(EXAMPLES, repo, {
    recursive: true,
    // Products and run state of a pipeline run in the source tree are not part of the example.
    filter: (source) => !/[\\/](output|products|\.nbpipe)$/.test(source),
  });
  gitQuiet('init', '-q', '-b', 'main');
  gitQuiet('config', 'commit.gpgsign', 'false');

  step('install: git filter, diff and merge drivers, hooks; doctor checks them');
  nbpipe(['install']);
  const doctor = nbpipe(['doctor']);
  for (const item of ['merge driver', 'git diff', 'strip outputs', 'pre-commit hook'])
    check(new RegExp(`^ok .*${item}`, 'm').test(doctor.output), `doctor does not report "${item}" as ok`);
  check(!/^(fail|warn|missing)/im.test(doctor.output), 'doctor reports a problem');

  step('commit a notebook with outputs: the commit has none, the working copy keeps them');
  const before = outputCounts(read(NB));
  check(before.reduce((a, b) => a + b, 0) === 3, `${NB} should start with 3 outputs`);
  check(read(NB).includes('"image/png"'), `${NB} should have a PNG output`);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'Sales analysis and pipeline']);
  const committed = git(['show', `HEAD:${NB}`], { lines: 26 }).output;
  check(
    outputCounts(committed).every((n) => n === 0),
    'the committed notebook still has outputs',
  );
  check(
    !committed.includes('image/png') && /"execution_count": null/.test(committed),
    'the committed notebook keeps execution data',
  );
  showOutputCounts(NB);
  check(JSON.stringify(outputCounts(read(NB))) === JSON.stringify(before), 'the working copy lost outputs on commit');
  const status = git(['status', '--short']);
  check(status.output === '', 'git status is not clean after the commit');
  note('discard an edit: git checks out the stripped notebook, the filter puts its outputs back');
  edit(NB, "'north': 1200", "'north': 1250");
  git(['checkout', '--', NB]);
  check(
    JSON.stringify(outputCounts(read(NB))) === JSON.stringify(before) && read(NB).includes("'north': 1200"),
    'git checkout did not restore the notebook with its outputs',
  );

  step('pair the notebook with a percent script, edit the script, sync');
  nbpipe(['pair', NB, '--formats', 'ipynb,py:percent']);
  check(existsSync(file(PY)) && read(PY).includes('# %%'), `${PY} was not written as a percent script`);
  sh(`sed -n 15,30p ${PY}`, 'sed', ['-n', '15,30p', PY]);
  note(`edit ${PY}: a print in the "total" cell, and a new cell before the plot`);
  edit(PY, 'total = sum(sales.values())\ntotal', "total = sum(sales.values())\nprint(f'total: {total}')\ntotal");
  edit(
    PY,
    '# %%\nimport matplotlib',
    '# %%\nshare = {region: amount / total for region, amount in sales.items()}\n\n# %%\nimport matplotlib',
  );
  const sync = nbpipe(['sync', PY]);
  check(
    /3 cell\(s\) kept their outputs, 1 edited, 1 new/.test(sync.output),
    'sync did not report 3 kept, 1 edited, 1 new',
  );
  const synced = showOutputCounts(NB);
  check(
    JSON.stringify(synced) === JSON.stringify([0, 1, 0, 0, 1]),
    `after sync the outputs per cell are ${synced}, expected 0,1,0,0,1 (unchanged cells keep theirs)`,
  );
  git(['add', NB, PY]);
  git(['commit', '-q', '-m', 'Pair the analysis with a percent script']);
  note(`edit only ${PY} and stage only it: the pre-commit hook syncs and stages the notebook`);
  edit(PY, '# Totals per region', '# Totals and shares per region');
  git(['add', PY]);
  const hooked = git(['commit', '-q', '-m', 'Describe the shares']);
  check(
    /synced from notebooks\/analysis\.py, staged notebooks\/analysis\.ipynb/.test(hooked.output),
    'the pre-commit hook did not sync the notebook',
  );
  const files = git(['show', '--stat', '--format=%s', 'HEAD']).output;
  check(files.includes(NB) && files.includes(PY), 'the commit does not contain both members of the pair');
  check(
    gitQuiet('show', `HEAD:${NB}`).includes('Totals and shares'),
    'the committed notebook misses the edit made in the script',
  );

  step('git diff of a notebook: cell by cell');
  edit(NB, "'north': 1200", "'north': 1250");
  const diff = git(['diff', NB]);
  check(/## cell 1 \(code\) modified/.test(diff.output), 'git diff does not name the modified cell');
  check(
    /^-sales = \{'north': 1200/m.test(diff.output) && /^\+sales = \{'north': 1250/m.test(diff.output),
    'git diff does not show the changed source line',
  );
  check(!diff.output.includes('"source"'), 'git diff shows raw JSON instead of cells');
  const corrected = git(['commit', '-q', '-am', 'North: corrected figure']);
  check(
    /synced from notebooks\/analysis\.ipynb, staged notebooks\/analysis\.py/.test(corrected.output),
    'the pre-commit hook did not sync the script',
  );
  check(read(PY).includes("'north': 1250"), `${PY} misses the edit made in the notebook`);
  check(
    outputCounts(read(NB)).some((n) => n > 0),
    'the commit dropped the working copy outputs',
  );

  step('merge: changes to different cells merge cleanly, and the working copy keeps its outputs');
  git(['switch', '-q', '-c', 'title']);
  edit(NB, '# Sales by region', '# Sales by region, 2026');
  git(['commit', '-q', '-am', 'Title: the year']);
  git(['switch', '-q', 'main']);
  note(
    'meanwhile on main: a wider plot, edited in the notebook (Jupyter keeps the old plot until the cell runs again)',
  );
  edit(NB, 'figsize=(1.6, 0.8)', 'figsize=(2.0, 0.8)');
  nbpipe(['sync', '--prefer', 'notebook', NB]);
  git(['commit', '-q', '-am', 'Plot: wider']);
  const outputsBeforeMerge = outputCounts(read(NB));
  git(['merge', '--no-edit', 'title']);
  check(
    read(NB).includes('Sales by region, 2026') && read(NB).includes('figsize=(2.0, 0.8)'),
    'the merge did not combine both edits',
  );
  const afterMerge = showOutputCounts(NB);
  check(
    JSON.stringify(afterMerge) === JSON.stringify(outputsBeforeMerge),
    `after the merge the outputs per cell are ${afterMerge}, expected ${outputsBeforeMerge}`,
  );
  check(
    outputCounts(gitQuiet('show', `HEAD:${NB}`)).every((n) => n === 0),
    'the merge commit holds outputs',
  );
  check(
    read(PY).includes('Sales by region, 2026') && read(PY).includes('figsize=(2.0, 0.8)'),
    `${PY} did not merge both edits`,
  );
  check(gitQuiet('status', '--porcelain') === '', 'the work tree is not clean after the merge');

  step('merge conflict in a pair: two branches change the same line; the hook finishes it');
  git(['switch', '-q', '-c', 'forecast']);
  edit(NB, "'east': 1430", "'east': 1500");
  git(['commit', '-q', '-am', 'East: forecast figure']);
  git(['switch', '-q', 'main']);
  edit(NB, "'east': 1430", "'east': 1480");
  // nbpipe remembers the last sync per clone, not per branch: after switching branches it would see
  // both members of the pair changed, so say which one holds the edit.
  nbpipe(['sync', '--prefer', 'notebook', NB]);
  git(['commit', '-q', '-am', 'East: audited figure']);
  const beforeConflict = outputCounts(read(NB));
  const merge = git(['merge', 'forecast'], { expect: 1 });
  check(
    /CONFLICT \(content\): Merge conflict in notebooks\/analysis\.ipynb/.test(merge.output),
    'git merge did not report the notebook conflict',
  );
  const conflicts = nbpipe(['conflicts'], { expect: 1 });
  check(
    conflicts.output.includes(NB) && conflicts.output.includes(PY),
    'nbpipe conflicts does not list both members of the pair',
  );
  nbpipe(['validate', NB]);
  sh(`grep -A6 '<<<<<<<' ${NB}`, 'grep', ['-A6', '<<<<<<<', NB]);
  note('committing before resolving is refused, with the commands that finish the merge');
  git(['add', NB, PY]);
  const refused = git(['commit', '-q', '--no-edit'], { expect: 1 });
  check(/nbpipe sync --prefer/.test(refused.output), 'the hook did not say how to finish the merge');
  note(
    'resolve in the notebook: take the forecast side (delete our lines and the markers); the script follows on commit',
  );
  const resolved = read(NB).split('\n');
  const start = resolved.findIndex((line) => line.includes('"<<<<<<< '));
  const middle = resolved.findIndex((line) => line.includes('"=======\\n"'));
  const end = resolved.findIndex((line) => line.includes('">>>>>>> '));
  check(start >= 0 && start < middle && middle < end, 'conflict markers not found in the notebook source');
  resolved.splice(end, 1);
  resolved.splice(start, middle - start + 1);
  write(NB, resolved.join('\n'));
  nbpipe(['conflicts', NB]);
  nbpipe(['fmt', '--check', NB]);
  git(['add', NB, PY]);
  const finished = git(['commit', '-q', '--no-edit']);
  check(
    /synced from notebooks\/analysis\.ipynb, staged notebooks\/analysis\.py/.test(finished.output),
    'the hook did not regenerate the script from the resolved notebook',
  );
  check(read(PY).includes("'east': 1500") && !read(PY).includes('<<<<<<<'), `${PY} was not resolved from the notebook`);
  git(['log', '--oneline', '--graph', '-5']);
  check(
    gitQuiet('show', `HEAD:${NB}`).includes("'east': 1500") && gitQuiet('show', `HEAD:${PY}`).includes("'east': 1500"),
    'the merge commit does not hold the resolution',
  );
  const afterConflict = showOutputCounts(NB);
  check(
    afterConflict.every((n, i) => i === 1 || n === beforeConflict[i]),
    `the cells neither branch touched lost their outputs: ${afterConflict}, before ${beforeConflict}`,
  );
  check(gitQuiet('status', '--porcelain') === '', 'the work tree is not clean after the merge');
  nbpipe(['conflicts']);

  step('pipeline: incremental runs decided by git blob hashes');
  const pipeline = { cwd: 'pipeline' };
  const first = nbpipe(['run', '--jobs', '1'], pipeline);
  check(/ran 4, skipped 0/.test(first.output), 'the first run did not run all 4 tasks');
  const second = nbpipe(['run'], pipeline);
  check(/ran 0, skipped 4/.test(second.output), 'the second run was not a no-op');
  note('edit the clean task (one cell of the percent script) and commit');
  edit('pipeline/tasks/clean.py', 'print(f"{len(rows)} rows kept")', 'print(f"{len(rows)} rows kept after cleaning")');
  git(['commit', '-q', '-am', 'clean: clearer message']);
  nbpipe(['status'], pipeline);
  const changed = nbpipe(['run', '--changed', '--since', 'HEAD~1', '--jobs', '1'], pipeline);
  check(/ran 3, skipped 1/.test(changed.output), 'run --changed did not run exactly clean and its 2 downstream tasks');
  check(
    !/^start get$/m.test(changed.output) &&
      /^start clean$/m.test(changed.output) &&
      /^start report$/m.test(changed.output),
    'run --changed ran the wrong tasks',
  );
  const status2 = nbpipe(['status'], pipeline);
  check(/^4 task\(s\), 0 outdated$/m.test(status2.output), 'tasks are still outdated after the run');

  step('pipeline: the DAG as a Mermaid chart, and as an Argo workflow');
  const plot = nbpipe(['plot', '--format', 'mermaid'], pipeline);
  check(
    /^flowchart /m.test(plot.output) && /clean/.test(plot.output),
    'plot did not print a Mermaid chart of the tasks',
  );
  const argo = nbpipe(['export', 'argo', '--image', 'example.org/sales-pipeline:latest'], { ...pipeline, lines: 30 });
  check(
    /^kind: Workflow$/m.test(argo.output) && /name: clean/.test(argo.output),
    'export argo did not print a Workflow with the tasks',
  );

  console.log(`\n${bold('demo finished')} in ${((Date.now() - started) / 1000).toFixed(1)} s: every step checked.`);
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`the demo repository is kept for inspection: ${repo}`);
  process.exitCode = 1;
} finally {
  if (process.exitCode !== 1) {
    if (KEEP) console.log(`the demo repository is kept: ${repo}`);
    else rmSync(repo, { recursive: true, force: true });
  }
}
