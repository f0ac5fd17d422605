import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCell, emptyNotebook, parse, serialize } from '@nbpipe/nbformat';
import { CLI, nbpipe, removeAfterTest, ROOT, run, tempRepo } from './helpers.js';

// `nbpipe run --slurm` against a real one-node Slurm, started by scripts/slurm-local.sh (root, slurm-wlm, munge).
// In CI the tests fail when Slurm cannot start; elsewhere they are skipped with the reason printed.
const SCRIPT = join(ROOT, 'scripts/slurm-local.sh');
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const missing =
  process.getuid?.() !== 0
    ? 'not root'
    : ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged']
        .find((f) => !existsSync(f))
        ?.concat(' not found (apt-get install slurm-wlm munge)');
if (missing && !IN_CI) console.log(`skipping the Slurm tests: ${missing}`);

const env: Record<string, string> = {};
let startedHere = false;

beforeAll(() => {
  if (missing && !IN_CI) return;
  const conf = join(process.env.NBPIPE_SLURM_DIR ?? `${process.env.TMPDIR ?? '/tmp'}/nbpipe-slurm-0`, 'ctld.pid');
  startedHere = !existsSync(conf);
  const r = spawnSync(SCRIPT, ['start'], { encoding: 'utf8' });
  const match = /^export SLURM_CONF=(.+)$/m.exec(r.stdout);
  if (r.status !== 0 || !match) throw new Error(`the local Slurm did not start (exit ${r.status}): ${r.stderr}`);
  env.SLURM_CONF = match[1]!;
}, 60_000);

afterAll(() => {
  if (startedHere) spawnSync(SCRIPT, ['stop']);
}, 60_000);

/** Each task's job id, from the lines `run --slurm` prints when it submits (`  name  job 12  log`). */
function submitted(stderr: string): Map<string, string> {
  return new Map([...stderr.matchAll(/^ {2}(\S+) +job (\d+) {2}/gm)].map((m) => [m[1]!, m[2]!]));
}

/** `nbpipe run --slurm TASK...` in the background, its stderr as it comes. */
function followed(cwd: string, ...tasks: string[]) {
  const child = spawn(process.execPath, [CLI, 'run', '--slurm', ...tasks], {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, stderr: () => stderr, exited: new Promise<number | null>((resolve) => child.on('close', resolve)) };
}

/** Wait until `done()` (at most 60 s), polling every 100 ms. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(done()).toBe(true);
}

const squeue = (...args: string[]) => run('squeue', ['-h', ...args], { env: { ...process.env, ...env } }).stdout.trim();
const scontrol = (id: string) => run('scontrol', ['show', 'job', '-o', id], { env: { ...process.env, ...env } }).stdout;
const ACTIVE = 'PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED,REQUEUED';

/**
 * Ten tasks of every kind: shell scripts, a py:percent notebook, an .ipynb rendered as an HTML report, a python function.
 *   load → clean (py) → explore (ipynb, html);  load → features;  clean + features → train → report;
 *   side → side2;  report + side2 → bundle;  clean → summarize (function)
 */
const PIPELINE = `tasks:
  - {source: tasks/load.sh, product: out/raw.txt}
  - {source: tasks/clean.py, product: {nb: out/clean.ipynb, data: out/clean.txt}}
  - {source: tasks/explore.ipynb, product: {nb: out/explore.html, data: out/explore.txt}}
  - {source: tasks/features.sh, product: out/features.txt}
  - {source: tasks/train.sh, product: out/model.txt}
  - {source: tasks/report.sh, product: out/report.txt}
  - {source: tasks/side.sh, product: out/side.txt}
  - {source: tasks/side2.sh, product: out/side2.txt}
  - {source: tasks/bundle.sh, product: out/bundle.txt}
  - {source: tasks.funcs.summarize, product: out/summary.json, upstream: [clean]}
`;

const CLEAN = `# %% tags=["parameters"]
upstream = ['load']
product = None

# %%
text = open(upstream['load']).read()
print('rows:', len(text.split()))

# %%
open(product['data'], 'w').write(text.upper())
len(text)
`;

/** A notebook with a parameters cell, on the python3 kernel. */
const explore = () =>
  serialize({
    ...emptyNotebook(),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      codeCell('upstream = ["clean"]\nproduct = None', { id: 'p1', metadata: { tags: ['parameters'] } }),
      codeCell(
        'data = open(upstream["clean"]["data"]).read()\nopen(product["data"], "w").write(data[::-1])\nprint("explored", len(data))',
        { id: 'c1' },
      ),
    ],
  });

const FUNCS = `import json

def summarize(product, upstream):
    with open(upstream['clean']['data']) as f:
        rows = f.read().split()
    with open(product, 'w') as f:
        json.dump({'rows': len(rows)}, f)
`;

function project(files: Record<string, string> = {}) {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  const all: Record<string, string> = {
    'pipeline.yaml': PIPELINE,
    'tasks/load.sh': 'printf "a b\\nc d\\n" > {{product}}\n',
    'tasks/clean.py': CLEAN,
    'tasks/explore.ipynb': explore(),
    'tasks/features.sh': `{ cat {{upstream['load']}}; echo features; } > {{product}}\n`,
    'tasks/train.sh': `cat {{upstream['clean']['data']}} {{upstream['features']}} > {{product}}\n`,
    'tasks/report.sh': `{ echo report; cat {{upstream['train']}}; } > {{product}}\n`,
    'tasks/side.sh': 'echo side > {{product}}\n',
    'tasks/side2.sh': `{ cat {{upstream['side']}}; echo two; } > {{product}}\n`,
    'tasks/bundle.sh': `cat {{upstream['report']}} {{upstream['side2']}} > {{product}}\n`,
    'tasks/funcs.py': FUNCS,
    '.gitignore': 'out/\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) repo.write(path, text);
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'pipeline');
  // Async, with a turn of the event loop first: vitest must hear back from its worker within 60 s, and a run waits on Slurm.
  const cli = async (...args: string[]) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return nbpipe(args, { cwd: repo.dir, env });
  };
  return { ...repo, cli };
}

const PRODUCTS = [
  'out/raw.txt',
  'out/clean.txt',
  'out/explore.txt',
  'out/features.txt',
  'out/model.txt',
  'out/report.txt',
  'out/side.txt',
  'out/side2.txt',
  'out/bundle.txt',
  'out/summary.json',
];

/** An executed notebook's cells as the run left them, without the run's times and the project's folder. */
function executedCells(path: string, dir: string) {
  return parse(readFileSync(path, 'utf8').split(dir).join('<project>')).cells.map((c) => ({
    source: c.source,
    outputs: c.cell_type === 'code' ? c.outputs : undefined,
  }));
}

describe.skipIf(Boolean(missing) && !IN_CI)('nbpipe run --slurm', () => {
  it('runs a 10-task DAG through Slurm with the products and reports of a local run; a second run submits nothing; an edit resubmits the task and its downstream', async () => {
    const local = project();
    expect((await local.cli('run')).code).toBe(0);
    const p = project();
    const r = await p.cli('run', '--slurm');
    expect(r.code, r.stderr).toBe(0);
    expect(submitted(r.stderr).size).toBe(10);
    expect(r.stdout).toMatch(/ran 10, skipped 0/);
    for (const product of PRODUCTS) expect(p.read(product), product).toBe(local.read(product));
    expect(executedCells(join(p.dir, 'out/clean.ipynb'), p.dir)).toEqual(
      executedCells(join(local.dir, 'out/clean.ipynb'), local.dir),
    );
    // The HTML report holds the same outputs (its only difference is the folder in the injected cell).
    expect(p.read('out/explore.html').split(p.dir).join('<project>')).toBe(
      local.read('out/explore.html').split(local.dir).join('<project>'),
    );
    expect(p.read('out/explore.html')).toContain('explored');
    // Each job's log is where the run said.
    const [, id] = [...submitted(r.stderr)].find(([task]) => task === 'clean')!;
    expect(readFileSync(join(p.dir, `.nbpipe/slurm/clean-${id}.log`), 'utf8')).toMatch(/✓ clean/);

    // The state is as true as after a local run.
    const status = await p.cli('status', '--json');
    expect(
      (JSON.parse(status.stdout) as { name: string; status: string }[]).filter((t) => t.status !== 'up to date'),
    ).toEqual([]);
    expect((await p.cli('run', '--check')).code).toBe(0);
    // The base of the next `run --changed` is this commit, as after a local run of the whole pipeline.
    expect((await p.cli('run', '--changed', '-n')).stderr).toMatch(
      /comparing with the last successful run \(\w{7}\): 0 task\(s\) changed/,
    );

    const again = await p.cli('run', '--slurm');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/submitted 0 job\(s\)/);
    expect(again.stdout).toMatch(/ran 0, skipped 10/);

    p.write('tasks/train.sh', `cat {{upstream['clean']['data']}} {{upstream['features']}} | sort > {{product}}\n`);
    const edited = await p.cli('run', '--slurm');
    expect(edited.code, edited.stderr).toBe(0);
    expect([...submitted(edited.stderr).keys()].sort()).toEqual(['bundle', 'report', 'train']);
    expect(p.read('out/bundle.txt')).toContain('A B');
  }, 150_000);

  it('a failing task fails the run (exit 1) with its job id and traceback, and no downstream job runs', async () => {
    const p = project({
      'tasks/clean.py': CLEAN.replace("print('rows:'", "raise ValueError('bad rows')\nprint('rows:'"),
    });
    const r = await p.cli('run', '--slurm', 'bundle', 'summarize');
    expect(r.code).toBe(1);
    const ids = submitted(r.stderr);
    expect(r.stderr).toContain(`task clean failed: `);
    expect(r.stderr).toContain(`(slurm job ${ids.get('clean')})`);
    expect(r.stderr).toMatch(/ValueError: bad rows/);
    for (const task of ['train', 'report', 'bundle', 'summarize']) {
      expect(r.stderr).toMatch(
        new RegExp(`- ${task} \\((upstream clean did not complete|run stopped after a failure)\\)`),
      );
      expect(scontrol(ids.get(task)!)).toMatch(/JobState=CANCELLED/);
    }
    expect(existsSync(join(p.dir, 'out/model.txt'))).toBe(false);
    expect((await p.cli('status')).stdout).toMatch(/clean +outdated +last run failed/);
  }, 60_000);

  it('the pipeline-level hooks run once for the run, in the submitting process, not in each job', async () => {
    const p = project({
      'pipeline.yaml': `on_render: tasks.hooks.rendered\non_finish: tasks.hooks.finished\n${PIPELINE}`,
      'tasks/hooks.py': `import os

def rendered():
    with open('hooks.log', 'a') as f:
        f.write(f"render {os.environ.get('SLURM_JOB_ID', 'here')}\\n")

def finished(report):
    with open('hooks.log', 'a') as f:
        f.write(f"finish {os.environ.get('SLURM_JOB_ID', 'here')} {sorted(r['name'] for r in report if r['ran'])}\\n")
`,
    });
    const r = await p.cli('run', '--slurm', 'side2');
    expect(r.code, r.stderr).toBe(0);
    expect(p.read('hooks.log')).toBe("render here\nfinish here ['side', 'side2']\n");
  }, 60_000);

  it('Ctrl-C cancels the jobs it submitted: none is left in squeue', async () => {
    const p = project({ 'tasks/side.sh': 'sleep 60; echo side > {{product}}\n' });
    const following = followed(p.dir, 'side2');
    await until(() => /start side\n/.test(following.stderr()));
    following.child.kill('SIGINT');
    expect(await following.exited).toBe(130);
    const ids = [...submitted(following.stderr()).values()];
    expect(ids).toHaveLength(2);
    expect(squeue('-t', ACTIVE, '-j', ids.join(','))).toBe('');
    expect(existsSync(join(p.dir, 'out/side.txt'))).toBe(false);
  }, 60_000);

  it('a job that finds no project on its node says the folder must be on a shared filesystem, and fails the run', async () => {
    const p = project({ 'tasks/side.sh': 'sleep 3; echo side > {{product}}\n' });
    const following = followed(p.dir, 'side2');
    // Until side's job has loaded the pipeline and started the task.
    const log = () => join(p.dir, `.nbpipe/slurm/side-${submitted(following.stderr()).get('side')}.log`);
    await until(() => existsSync(log()) && readFileSync(log(), 'utf8').includes('start side'));
    // As on a node without the shared folder: side2's job starts after side and finds no pipeline.yaml.
    rmSync(join(p.dir, 'pipeline.yaml'));
    expect(await following.exited).toBe(1);
    const stderr = following.stderr();
    expect(stderr).toMatch(/task side2 failed: slurm job \d+ ended without recording the task \(FAILED.*exit 2\)/);
    expect(stderr).toMatch(
      /pipeline\.yaml is not on node \S+: the project folder must be on a filesystem shared by the nodes/,
    );
  }, 60_000);

  it('--detach submits and returns the job ids; status shows the pending and running tasks with their jobs, then their results', async () => {
    const p = project({ 'tasks/side.sh': 'sleep 3; echo side > {{product}}\n' });
    const r = await p.cli('run', '--slurm', '--detach', 'side2');
    expect(r.code, r.stderr).toBe(0);
    const ids = submitted(r.stderr);
    expect(r.stdout.trim().split('\n')).toEqual([ids.get('side'), ids.get('side2')]);
    const status = await p.cli('status');
    expect(status.stdout).toMatch(new RegExp(`side +(pending|running) +slurm job ${ids.get('side')}`));
    expect(status.stdout).toMatch(new RegExp(`side2 +pending +slurm job ${ids.get('side2')}`));
    // Nothing submitted twice, and no local run beside the jobs.
    expect((await p.cli('run', '--slurm', '--detach', 'side2')).stdout).toBe('');
    expect((await p.cli('run', 'side2')).stderr).toMatch(/have Slurm jobs pending or running/);
    await until(() => squeue('-t', ACTIVE, '-j', [...ids.values()].join(',')) === '');
    expect((await p.cli('status')).stdout).toMatch(/side2 +up to date/);
    expect((await p.cli('run', 'side2')).stdout).toMatch(/ran 0/);
  }, 90_000);

  it('jobs left held by a submission that died before releasing them are cancelled and submitted again', async () => {
    const p = project();
    const held = run('sbatch', ['--parsable', '--hold', '--wrap', 'true'], {
      env: { ...process.env, ...env },
    }).stdout.trim();
    p.write(
      '.nbpipe/slurm/jobs.json',
      JSON.stringify([{ task: 'side', id: held, log: join(p.dir, `.nbpipe/slurm/side-${held}.log`), after: [] }]),
    );
    const r = await p.cli('run', '--slurm', 'side');
    expect(r.code, r.stderr).toBe(0);
    expect(submitted(r.stderr).get('side')).not.toBe(held);
    expect(r.stdout).toMatch(/ran 1/);
    expect(scontrol(held)).toMatch(/JobState=CANCELLED/);
  }, 60_000);

  it('resources from pipeline.yaml and the configuration reach sbatch; cluster: slurm in the configuration submits', async () => {
    const p = project({
      'pipeline.yaml': PIPELINE.replace(
        'product: out/side.txt}',
        "product: out/side.txt, slurm: {cpus: 2, time: 10, memory: 200M, extra: ['--comment=from-pipeline']}}",
      ),
      '.nbpiperc.yaml': "cluster: slurm\nslurm:\n  partition: debug\n  time: '1:00:00'\n",
    });
    // `cluster: slurm` in the configuration: no --slurm needed.
    const r = await p.cli('run', '--detach', 'side2');
    expect(r.code, r.stderr).toBe(0);
    const ids = submitted(r.stderr);
    const side = scontrol(ids.get('side')!);
    expect(side).toMatch(/ Partition=debug /);
    expect(side).toMatch(/ TimeLimit=00:10:00 /);
    expect(side).toMatch(/ NumCPUs=2 /);
    expect(side).toMatch(/ MinMemoryNode=200M /);
    expect(side).toMatch(/ Comment=from-pipeline /);
    const side2 = scontrol(ids.get('side2')!);
    expect(side2).toMatch(/ TimeLimit=01:00:00 /);
    expect(side2).toMatch(new RegExp(` Dependency=afterok:${ids.get('side')}`));
    run('scancel', [...ids.values()], { env: { ...process.env, ...env } });
  }, 60_000);

  it('a submit Slurm refuses names the task (exit 2); the jobs submitted before it are cancelled, none ran', async () => {
    const p = project({
      'pipeline.yaml': PIPELINE.replace(
        'product: out/side2.txt}',
        'product: out/side2.txt, slurm: {partition: no-such-partition}}',
      ),
    });
    const r = await p.cli('run', '--slurm', 'side2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^nbpipe: task side2: sbatch: .*partition/m);
    expect(squeue('-t', ACTIVE, '-n', 'nbp-side')).toBe('');
    expect(existsSync(join(p.dir, 'out/side.txt'))).toBe(false);
    expect(p.read('.nbpipe/slurm/jobs.json')).toBe('[]');
  }, 60_000);

  it('export slurm writes a script that submits the outdated tasks by hand, with their dependencies and resources', async () => {
    const p = project({
      'pipeline.yaml':
        'tasks:\n  - {source: tasks/load.sh, product: out/raw.txt}\n  - {source: tasks/side.sh, product: out/side.txt, slurm: {time: 7}}\n  - {source: tasks/side2.sh, product: out/side2.txt}\n',
    });
    expect((await p.cli('run')).code).toBe(0);
    p.write('tasks/side.sh', 'echo side again > {{product}}\n');
    const r = await p.cli('export', 'slurm', '--outdated', '-o', 'submit.sh');
    expect(r.code, r.stderr).toBe(0);
    const script = p.read('submit.sh');
    expect(script).toMatch(/nbpipe run side --only --force/);
    expect(script).toMatch(/--time=7/);
    expect(script).not.toMatch(/nbpipe run load /);
    // The nodes find nbpipe on the PATH the script is submitted with (--export=ALL).
    p.write('bin/nbpipe', `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    run('chmod', ['+x', join(p.dir, 'bin/nbpipe')]);
    const submit = run('sh', ['submit.sh'], {
      cwd: p.dir,
      env: { ...process.env, ...env, PATH: `${join(p.dir, 'bin')}:${process.env.PATH}` },
    });
    const ids = new Map(
      submit.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    expect(scontrol(ids.get('side2')!)).toMatch(new RegExp(` Dependency=afterok:${ids.get('side')}`));
    await until(() => squeue('-t', ACTIVE, '-j', [...ids.values()].join(',')) === '');
    expect(p.read('out/side2.txt')).toBe('side again\ntwo\n');
    expect((await p.cli('status')).stdout).toMatch(/side2 +up to date/);
  }, 90_000);
});

describe('slurm settings', () => {
  it('a wrong value is named with its key, in pipeline.yaml and in the configuration (exit 2)', async () => {
    const p = project({
      'pipeline.yaml': PIPELINE.replace('product: out/side.txt}', 'product: out/side.txt, slurm: {cpus: 0}}'),
    });
    const r = await p.cli('run', '--slurm');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:\d+: tasks\[6\]\.slurm\.cpus: expected a positive integer/);
    p.write('pipeline.yaml', PIPELINE);
    p.write('.nbpiperc.yaml', 'slurm:\n  extra: [constraint=avx2]\n');
    const c = await p.cli('run', '--slurm');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/\.nbpiperc\.yaml: "slurm\.extra": expected sbatch options/);
  });
});
