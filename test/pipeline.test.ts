import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { codeCell, markdownCell, parse, serialize } from '@nbpipe/nbformat';
import { CLI, nbpipe, run, tempDir, tempRepo } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/**
 * A generated pipeline with every kind of source:
 *   load (sh) → clean (py:percent) → explore (ipynb)
 *   load → features (sh);  clean + features → train (sh) → report (sh);  side (sh) on its own.
 * Tasks tolerate missing upstream products, so a subgraph can run in a fresh clone.
 */
const PIPELINE = `tasks:
  - source: tasks/load.sh
    product: out/raw.txt
  - source: tasks/clean.py
    product:
      nb: out/clean.ipynb
      data: out/clean.txt
    params:
      sample: '{{sample}}'
  - source: tasks/explore.ipynb
    product: out/explore.ipynb
  - source: tasks/features.sh
    product: out/features.txt
  - source: tasks/train.sh
    product: out/model.txt
  - source: tasks/report.sh
    product: out/report.txt
    inputs: ['templates/*.md']
  - source: tasks/side.sh
    product: out/side.txt
`;

const shell = (body: string) => `# generated task\n${body}\n`;

const CLEAN = `# %% tags=["parameters"]
upstream = ['load']
product = None
sample = None

# %%
import os
raw = upstream['load']
text = open(raw).read() if os.path.exists(raw) else ''
print('sample =', sample)

# %%
open(product['data'], 'w').write(text.upper())
len(text)
`;

function exploreNotebook(outputs = false): string {
  return serialize({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      markdownCell('# Explore', { id: 'm1' }),
      codeCell('upstream = ["clean"]\nproduct = None', { id: 'p1', metadata: { tags: ['parameters'] } }),
      codeCell('x = 6 * 7\nprint("x is", x)\nx', {
        id: 'c1',
        ...(outputs
          ? {
              execution_count: 7,
              outputs: [
                { output_type: 'stream', name: 'stdout', text: 'x is 42\n' },
                { output_type: 'execute_result', execution_count: 7, data: { 'text/plain': '42' }, metadata: {} },
              ],
            }
          : {}),
      }),
    ],
  });
}

function generatedProject() {
  const repo = tempRepo();
  cleanups.push(repo.cleanup);
  repo.write('pipeline.yaml', PIPELINE);
  repo.write('env.yaml', 'sample: false\n');
  repo.write('tasks/load.sh', shell('echo "raw rows" > {{product}}'));
  repo.write('tasks/clean.py', CLEAN);
  repo.write('tasks/explore.ipynb', exploreNotebook());
  repo.write('tasks/features.sh', shell(`{ cat {{upstream['load']}} 2>/dev/null; echo features; } > {{product}}`));
  repo.write(
    'tasks/train.sh',
    shell(`{ cat {{upstream['clean']['data']}} {{upstream['features']}} 2>/dev/null; echo model; } > "$PRODUCT"`),
  );
  repo.write('tasks/report.sh', shell(`{ cat {{upstream['train']}} 2>/dev/null; cat templates/*.md; } > {{product}}`));
  repo.write('tasks/side.sh', shell('echo side > {{product}}'));
  repo.write('templates/report.md', '# Report\n');
  repo.write('.gitignore', 'out/\n');
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'pipeline');
  return repo;
}

/** Names of the tasks a run finished, from its plain (non-TTY) progress lines. */
function ran(r: { stderr: string }): string[] {
  return [...r.stderr.matchAll(/^✓ (\S+) /gm)].map((m) => m[1]!).sort();
}

function runIn(dir: string, args: string[] = []) {
  const r = nbpipe(['run', '--jobs', '2', ...args], { cwd: dir });
  return r;
}

/** The task steps of an exported Argo workflow, sorted. */
function exportedTasks(yaml: string): string[] {
  const workflow = parseYaml(yaml) as { spec: { templates: { dag?: { tasks: { name: string }[] } }[] } };
  return workflow.spec.templates[0]!.dag!.tasks.map((t) => t.name)
    .filter((n) => n !== 'prepare-workspace')
    .sort();
}

const ALL = ['clean', 'explore', 'features', 'load', 'report', 'side', 'train'];

describe('nbpipe run (end to end, real git)', () => {
  it('runs a generated pipeline fully once, then nothing', () => {
    const repo = generatedProject();
    const first = runIn(repo.dir);
    expect(first.code, first.stderr).toBe(0);
    expect(ran(first)).toEqual(ALL);
    expect(first.stdout).toMatch(/^ran 7, skipped 0 in /m);
    expect(repo.read('out/report.txt')).toBe('RAW ROWS\nraw rows\nfeatures\nmodel\n# Report\n');
    // The executed notebooks: parameters injected after the parameters cell, outputs recorded.
    const clean = parse(repo.read('out/clean.ipynb'));
    const injected = clean.cells[1]!;
    expect(injected.metadata.tags).toEqual(['injected-parameters']);
    expect(injected.source).toContain(`upstream = {'load': '${join(repo.dir, 'out/raw.txt')}'}`);
    expect(injected.source).toContain('sample = False');
    expect(clean.cells[2]!.cell_type === 'code' && clean.cells[2]!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'sample = False\n' },
    ]);
    expect(clean.cells[3]!.cell_type === 'code' && clean.cells[3]!.outputs[0]).toMatchObject({
      output_type: 'execute_result',
      data: { 'text/plain': '9' },
    });
    // State is kept out of git.
    expect(repo.git('status', '--porcelain').stdout).toBe('');

    const second = runIn(repo.dir);
    expect(second.code, second.stderr).toBe(0);
    expect(ran(second)).toEqual([]);
    expect(second.stdout).toMatch(/^ran 0, skipped 7 in /m);
    const status = JSON.parse(nbpipe(['status', '--json'], { cwd: repo.dir }).stdout) as {
      name: string;
      status: string;
    }[];
    expect(status.every((s) => s.status === 'up to date')).toBe(true);
  });

  it('reruns an edited task and exactly its downstream, and says why', () => {
    const repo = generatedProject();
    expect(runIn(repo.dir).code).toBe(0);
    repo.write(
      'tasks/features.sh',
      shell(`{ cat {{upstream['load']}} 2>/dev/null; echo better features; } > {{product}}`),
    );
    const plan = nbpipe(['run', '--dry-run'], { cwd: repo.dir });
    expect(plan.stdout).toMatch(/^run +features +\(source changed\)$/m);
    expect(plan.stdout).toMatch(/^run +train +\(upstream features outdated\)$/m);
    expect(plan.stdout).toMatch(/^skip +clean +\(up to date\)$/m);
    expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(1);
    const r = runIn(repo.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['features', 'report', 'train']);
    expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(0);

    // An extra input (a glob) counts too.
    repo.write('templates/extra.md', 'more\n');
    const status = nbpipe(['status'], { cwd: repo.dir });
    expect(status.stdout).toMatch(/^report +outdated +input templates\/extra\.md changed/m);
    expect(ran(runIn(repo.dir))).toEqual(['report']);
  });

  it('reruns nothing when only the outputs of a source notebook change', () => {
    const repo = generatedProject();
    expect(runIn(repo.dir).code).toBe(0);
    repo.write('tasks/explore.ipynb', exploreNotebook(true));
    const r = runIn(repo.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual([]);
    // …but an edit of a cell's code does.
    repo.write('tasks/explore.ipynb', exploreNotebook(true).replace('6 * 7', '6 * 8'));
    expect(ran(runIn(repo.dir))).toEqual(['explore']);
  });

  it('reruns a task whose product was deleted or modified, and one whose params changed', () => {
    const repo = generatedProject();
    expect(runIn(repo.dir).code).toBe(0);
    writeFileSync(join(repo.dir, 'out/side.txt'), 'tampered\n');
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).toMatch(/^side +outdated +product modified/m);
    expect(ran(runIn(repo.dir))).toEqual(['side']);
    run('rm', [join(repo.dir, 'out/model.txt')]);
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).toMatch(/^train +outdated +product missing/m);
    expect(ran(runIn(repo.dir))).toEqual(['report', 'train']);
    // env.yaml overrides from the command line, both spellings.
    const plan = nbpipe(['run', '-n', '--env', 'sample=true'], { cwd: repo.dir });
    expect(plan.stdout).toMatch(/^run +clean +\(params changed\)$/m);
    const r = nbpipe(['run', '--env--sample', 'true'], { cwd: repo.dir });
    expect(ran(r)).toEqual(['clean', 'explore', 'report', 'train']);
    expect(repo.read('out/clean.ipynb')).toContain('sample = True');
  });

  it('after a checkout, `run --changed` runs exactly the affected subgraph', () => {
    const repo = generatedProject();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('tasks/clean.py', CLEAN.replace('text.upper()', 'text.title()'));
    repo.git('commit', '-q', '-am', 'clean differently');
    repo.git('checkout', '-q', 'main');
    expect(runIn(repo.dir).code).toBe(0);
    repo.git('checkout', '-q', 'feature');
    const plan = nbpipe(['run', '--changed', '--dry-run'], { cwd: repo.dir });
    expect(plan.stderr).toMatch(/comparing with the last successful run/);
    expect(plan.stdout).toMatch(/^run +clean +/m);
    expect(plan.stdout).toMatch(/^skip +load +\(unchanged since [0-9a-f]{7}\)$/m);
    const r = nbpipe(['run', '--changed'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['clean', 'explore', 'report', 'train']);
    expect(repo.read('out/clean.txt')).toBe('Raw Rows\n');
  });

  it('`run --changed --since` works in a fresh clone with no state, running the upstream whose products it lacks', () => {
    const repo = generatedProject();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('tasks/features.sh', shell('echo other features > {{product}}'));
    repo.write('tasks/explore.ipynb', exploreNotebook(true)); // outputs only: not a change
    repo.git('commit', '-q', '-am', 'features');
    const { dir: parent, cleanup } = tempDir();
    cleanups.push(cleanup);
    const clone = join(parent, 'clone');
    run('git', ['clone', '-q', '--branch', 'feature', repo.dir, clone]);
    run('git', ['-C', clone, 'fetch', '-q', 'origin', 'main:main']);
    const plan = nbpipe(['run', '--changed', '--since', 'main', '-n'], { cwd: clone });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(
      /1 task\(s\) changed, 3 to run with their downstream, and 2 upstream task\(s\) whose products are missing here/,
    );
    expect(plan.stdout).toMatch(/^run +load +\(never run\)$/m);
    expect(plan.stdout).toMatch(/^skip +explore +\(unchanged since [0-9a-f]{7}\)$/m);
    // The export selects the same tasks.
    const exported = nbpipe(['export', 'argo', '--image', 'example/shop:1', '--changed', '--since', 'main'], {
      cwd: clone,
    });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exportedTasks(exported.stdout)).toEqual(['clean', 'features', 'load', 'report', 'train']);
    const r = nbpipe(['run', '--changed', '--since', 'main'], { cwd: clone });
    expect(r.code, r.stderr).toBe(0);
    // features changed (train and report follow); train needs clean's products, clean needs load's.
    expect(ran(r)).toEqual(['clean', 'features', 'load', 'report', 'train']);
    expect(existsSync(join(clone, 'out/explore.ipynb'))).toBe(false);
    expect(nbpipe(['run', '--changed', '--since', 'main', '-n'], { cwd: clone }).stdout).toMatch(
      /^run +features +\(changed since [0-9a-f]{7}\)$/m,
    );

    // Without --since and without state or reflog history, what is outdated runs, and the line says why.
    const fresh = join(parent, 'fresh');
    run('git', ['clone', '-q', repo.dir, fresh]);
    const exportFresh = nbpipe(['export', 'argo', '--image', 'example/shop:1', '--changed'], { cwd: fresh });
    expect(exportFresh.code, exportFresh.stderr).toBe(0);
    expect(exportFresh.stderr).toMatch(/no base commit .*: 7 outdated task\(s\) to export/);
    expect(exportedTasks(exportFresh.stdout)).toEqual(ALL);
    const noBase = nbpipe(['run', '--changed'], { cwd: fresh });
    expect(noBase.code, noBase.stderr).toBe(0);
    expect(noBase.stderr).toMatch(/no base commit .*fresh clone.*: 7 outdated task\(s\) to run/);
    expect(ran(noBase)).toEqual(ALL);
  });

  it('a failed task stops its downstream; --keep-going runs the rest; failures are never recorded as valid', () => {
    const repo = generatedProject();
    repo.write('tasks/features.sh', shell('echo partial > {{product}}\necho "no features today" >&2\nexit 3'));
    const r = nbpipe(['run', '--jobs', '1'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/task features failed: tasks\/features\.sh exited with code 3/);
    expect(r.stderr).toMatch(/no features today/);
    // Topological order, one at a time: what came before the failure ran, the rest did not start.
    expect(ran(r)).toEqual(['clean', 'explore', 'load']);
    expect(r.stderr).toMatch(/^- side \(run stopped after a failure\)$/m);
    const status = nbpipe(['status'], { cwd: repo.dir }).stdout;
    expect(status).toMatch(/^features +outdated +last run failed +.*\(failed\)/m);
    const k = nbpipe(['run', '--jobs', '1', '--keep-going'], { cwd: repo.dir });
    expect(k.code).toBe(1);
    expect(ran(k)).toEqual(['side']);
    expect(k.stderr).toMatch(/^- train \(upstream features did not complete\)$/m);
    repo.write('tasks/features.sh', shell('echo fixed > {{product}}'));
    expect(ran(runIn(repo.dir))).toEqual(['features', 'report', 'train']);
  });

  it('a failing python cell fails the task, with the executed notebook written and the error shown', () => {
    const repo = generatedProject();
    repo.write('tasks/clean.py', CLEAN.replace("print('sample =', sample)", "print('before')\n1 / 0"));
    const r = runIn(repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /task clean failed: tasks\/clean\.py: cell 3 \(In \[3\]\) raised ZeroDivisionError: division by zero/,
    );
    expect(r.stderr).toMatch(/ZeroDivisionError/);
    const nb = parse(repo.read('out/clean.ipynb'));
    const failing = nb.cells.find((c) => c.cell_type === 'code' && c.outputs.some((o) => o.output_type === 'error'));
    expect(failing?.cell_type === 'code' && failing.outputs[0]).toEqual({
      output_type: 'stream',
      name: 'stdout',
      text: 'before\n',
    });
    expect(nbpipe(['status', '--json'], { cwd: repo.dir }).stdout).toContain('"last run failed"');
  });

  it('resumes after SIGKILL: finished tasks are skipped, the interrupted one reruns', async () => {
    const repo = tempRepo();
    cleanups.push(repo.cleanup);
    repo.write(
      'pipeline.yaml',
      `tasks:
  - {source: a.sh, product: out/a.txt}
  - {source: slow.sh, product: out/slow.txt, upstream: [a]}
  - {source: c.sh, product: out/c.txt, upstream: [slow]}
`,
    );
    repo.write('a.sh', 'echo a > {{product}}\n');
    // Writes part of its product, then waits for the kill; when not killed (the rerun), it finishes.
    repo.write(
      'slow.sh',
      'echo partial > {{product}}\nif [ ! -e resumed ]; then touch started; sleep 30; fi\necho done >> {{product}}\n',
    );
    repo.write('c.sh', 'cat {{upstream["slow"]}} > {{product}}\n');
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'slow');
    const child = spawn(process.execPath, [CLI, 'run', '--jobs', '1'], {
      cwd: repo.dir,
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    for (let i = 0; i < 200 && !existsSync(join(repo.dir, 'started')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(repo.dir, 'started'))).toBe(true);
    // A second run while the first holds the lock is refused.
    const locked = nbpipe(['run'], { cwd: repo.dir });
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(new RegExp(`locked by pid ${child.pid}`));
    process.kill(-child.pid!, 'SIGKILL'); // nbpipe and the task's shell, as a crash or an OOM kill would
    await new Promise((r) => child.once('exit', r));
    writeFileSync(join(repo.dir, 'resumed'), '');
    const r = nbpipe(['run', '--jobs', '1'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['c', 'slow']);
    expect(repo.read('out/c.txt')).toBe('partial\ndone\n');
  });

  it('reports definition problems with file, line and key, exit 2', () => {
    const repo = tempRepo();
    cleanups.push(repo.cleanup);
    repo.write('a.sh', 'echo a > {{product}}\n');
    repo.write('b.py', '# %% tags=["parameters"]\nupstream = ["nope"]\n');
    const check = (yaml: string, pattern: RegExp) => {
      repo.write('pipeline.yaml', yaml);
      const r = nbpipe(['status'], { cwd: repo.dir });
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    };
    check(
      'tasks:\n  - source: a.sh\n    product: a.txt\n    upstream: [ghost]\n',
      /^nbpipe: pipeline\.yaml:4: task a: upstream: "ghost" names no task \(tasks: a\)$/,
    );
    check(
      'tasks:\n  - source: b.py\n    product: b.ipynb\n',
      /^nbpipe: b\.py:2: upstream: "nope" names no task \(tasks: b\)$/,
    );
    check(
      'tasks:\n  - {source: a.sh, name: x, product: x.txt, upstream: [z]}\n  - {source: a.sh, name: y, product: y.txt, upstream: [x]}\n  - {source: a.sh, name: z, product: z.txt, upstream: [y]}\n',
      /^nbpipe: pipeline\.yaml: cycle: (x → y → z → x|y → z → x → y|z → x → y → z)$/,
    );
    check(
      'tasks:\n  - source: a.sh\n    product: a.txt\n    params:\n      n: "{{missing}}"\n',
      /^nbpipe: pipeline\.yaml:5: tasks\[0\]\.params\.n: unknown placeholder \{\{missing\}\}/,
    );
    check(
      'tasks:\n  - source: a.sh\n    prodcut: a.txt\n',
      /^nbpipe: pipeline\.yaml:3: tasks\[0\]\.prodcut: unsupported task key/,
    );
    check('tasks:\n  - source: a.sh\n    product: [a.txt\n', /^nbpipe: pipeline\.yaml:\d+: invalid YAML/);
  });

  it('expands grids with [[param]] placeholders and wildcard upstream', () => {
    const repo = tempRepo();
    cleanups.push(repo.cleanup);
    repo.write(
      'pipeline.yaml',
      `tasks:
  - source: fit.sh
    name: fit-[[alpha]]
    product: out/fit-[[alpha]].txt
    grid:
      alpha: [1, 2, 3]
  - source: pick.sh
    product: out/best.txt
    upstream: ['fit-*']
`,
    );
    repo.write('fit.sh', 'echo {{alpha}} > {{product}}\n');
    repo.write('pick.sh', `cat {{upstream['fit-*']['fit-1']}} {{upstream['fit-*']['fit-3']}} > {{product}}\n`);
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['fit-1', 'fit-2', 'fit-3', 'pick']);
    expect(repo.read('out/best.txt')).toBe('1\n3\n');
  });
});

describe('paired task sources (nbpipe pair) count as one source', () => {
  // clean's source is the .ipynb (paired through its metadata), report's the .py script (paired through its header).
  const PAIRED = `executor: python
tasks:
  - source: tasks/clean.ipynb
    product:
      nb: out/clean.ipynb
      data: out/clean.txt
  - source: tasks/report.py
    product:
      nb: out/report.ipynb
      data: out/report.txt
`;
  function cleanNotebook(): string {
    return serialize({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [
        codeCell('upstream = None\nproduct = None', { id: 'p1', metadata: { tags: ['parameters'] } }),
        codeCell('open(product["data"], "w").write("clean v1")', { id: 'c1' }),
      ],
    });
  }
  const REPORT = `# %% tags=["parameters"]
upstream = ['clean']
product = None

# %%
text = open(upstream['clean']['data']).read()
open(product['data'], 'w').write(text + ', report v1')
`;

  function pairedProject() {
    const repo = tempRepo();
    cleanups.push(repo.cleanup);
    repo.write('pipeline.yaml', PAIRED);
    repo.write('tasks/clean.ipynb', cleanNotebook());
    repo.write('tasks/report.py', REPORT);
    repo.write('.gitignore', 'out/\n');
    for (const source of ['tasks/clean.ipynb', 'tasks/report.py']) {
      const r = nbpipe(['pair', source, '--formats', 'ipynb,py:percent'], { cwd: repo.dir });
      expect(r.code, r.stderr).toBe(0);
    }
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'paired pipeline');
    const first = nbpipe(['run'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(ran(first)).toEqual(['clean', 'report']);
    return repo;
  }
  const plan = (dir: string, ...args: string[]) => nbpipe(['run', '-n', ...args], { cwd: dir }).stdout;

  it('an edit of the paired script of a .ipynb source makes the task outdated, and run syncs the pair and runs the edit', () => {
    const repo = pairedProject();
    repo.write('tasks/clean.py', repo.read('tasks/clean.py').replace('clean v1', 'clean v2'));
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).toMatch(
      /^clean +outdated +source changed \(paired tasks\/clean\.py edited\)/m,
    );
    expect(plan(repo.dir)).toMatch(/^run +clean +\(source changed \(paired tasks\/clean\.py edited\)\)$/m);
    expect(plan(repo.dir)).toMatch(/^run +report +\(upstream clean outdated\)$/m);
    expect(plan(repo.dir, '--changed')).toMatch(/^run +clean +/m);
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['clean', 'report']);
    expect(r.stderr).toContain('synced tasks/clean.ipynb from tasks/clean.py first');
    expect(repo.read('out/report.txt')).toBe('clean v2, report v1');
    expect(repo.read('tasks/clean.ipynb')).toContain('clean v2');
    expect(nbpipe(['sync', '--check', 'tasks/clean.ipynb'], { cwd: repo.dir }).code).toBe(0);
    expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(0);
  });

  it('an edit of the .ipynb paired with a .py source counts, its outputs do not; the script is synced before it runs', () => {
    const repo = pairedProject();
    const nb = parse(repo.read('tasks/report.ipynb'));
    const code = nb.cells[1]!;
    if (code.cell_type !== 'code') throw new Error('expected a code cell');
    code.outputs = [{ output_type: 'stream', name: 'stdout', text: 'saved output\n' }];
    code.execution_count = 3;
    repo.write('tasks/report.ipynb', serialize(nb));
    expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(0);

    code.source = String(code.source).replace('report v1', 'report v2');
    repo.write('tasks/report.ipynb', serialize(nb));
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).toMatch(
      /^report +outdated +source changed \(paired tasks\/report\.ipynb edited\)/m,
    );
    expect(plan(repo.dir, '--changed')).toMatch(/^run +report +/m);
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(ran(r)).toEqual(['report']);
    expect(repo.read('out/report.txt')).toBe('clean v1, report v2');
    expect(repo.read('tasks/report.py')).toContain('report v2');
    expect(nbpipe(['run', '--check'], { cwd: repo.dir }).code).toBe(0);
  });

  it('refuses to run a pair whose members changed differently, and writes nothing', () => {
    const repo = pairedProject();
    repo.write('tasks/clean.py', repo.read('tasks/clean.py').replace('clean v1', 'clean from the script'));
    const notebook = repo.read('tasks/clean.ipynb').replace('clean v1', 'clean from the notebook');
    repo.write('tasks/clean.ipynb', notebook);
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).toMatch(
      /^clean +outdated +paired tasks\/clean\.ipynb and tasks\/clean\.py changed differently/m,
    );
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/task clean failed: .*both changed their cells since the last sync/);
    expect(ran(r)).toEqual([]);
    expect(repo.read('tasks/clean.ipynb')).toBe(notebook);
    expect(repo.read('out/clean.txt')).toBe('clean v1');
  });
});
