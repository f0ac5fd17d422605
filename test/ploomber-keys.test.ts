// Ploomber projects as Ploomber's examples write them: each key or convention in a small project of
// its own, run with the built CLI. Products land where Ploomber puts them; a second run is a no-op.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, SYSTEM_PYTHON, nbpipe, removeAfterTest, tempDir, tempRepo } from './helpers.js';

function project(files: Record<string, string>) {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  for (const [path, text] of Object.entries(files)) repo.write(path, text);
  repo.git('add', '-A');
  repo.git('commit', '-qm', 'project');
  return repo;
}

/** Names of the tasks a run finished, from its plain (non-TTY) progress lines. */
const ran = (r: { stderr: string }) => [...r.stderr.matchAll(/^✓ (\S+) /gm)].map((m) => m[1]!).sort();

describe('Ploomber pipeline.yaml keys', () => {
  it('papermill_params: log_output prints the cells’ output as the notebook runs', () => {
    const repo = project({
      'pipeline.yaml':
        'tasks:\n  - source: nb.py\n    product: out/nb.ipynb\n    papermill_params:\n      log_output: true\n',
      'nb.py': '# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\nprint("hello from the cell")\n',
    });
    const first = nbpipe(['run'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('hello from the cell');
    expect(existsSync(join(repo.dir, 'out/nb.ipynb'))).toBe(true);
    const second = nbpipe(['run'], { cwd: repo.dir });
    expect(second.stdout).toMatch(/^ran 0, skipped 1 /m);
  }, 60_000);

  it('grid: a list of mappings, a [[placeholder]] one mapping lacks renders empty, products get -index before the extension', () => {
    const repo = project({
      'pipeline.yaml': `meta:
  extract_upstream: false
tasks:
  - source: fit.sh
    name: fit-[[model]]-[[learning_rate]]
    product: out/model-[[model]].pickle
    grid:
      - model: [sklearn.svm.SVC]
        learning_rate: [0.1]
      - model: ada-boost
  - source: pick.sh
    product: out/best.txt
    upstream: ['fit-*']
`,
      'fit.sh': 'echo "{{model}}" > {{product}}\n',
      'pick.sh': `cat {{upstream['fit-*']['fit-sklearn.svm.SVC-0.1']}} {{upstream['fit-*']['fit-ada-boost-']}} > {{product}}\n`,
    });
    const first = nbpipe(['run'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(ran(first)).toEqual(['fit-ada-boost-', 'fit-sklearn.svm.SVC-0.1', 'pick']);
    expect(repo.read('out/model-sklearn.svm.SVC-0.pickle')).toBe('sklearn.svm.SVC\n');
    expect(repo.read('out/model-ada-boost-1.pickle')).toBe('ada-boost\n');
    expect(repo.read('out/best.txt')).toBe('sklearn.svm.SVC\nada-boost\n');
    expect(nbpipe(['run'], { cwd: repo.dir }).stdout).toMatch(/^ran 0, skipped 3 /m);
  });

  it('PLOOMBER_ENV_FILENAME picks the env file (named in the output); ENTRY_POINT picks pipeline.NAME.yaml, which falls back to env.yaml', () => {
    const repo = project({
      'pipeline.yaml': 'tasks:\n  - {source: t.sh, product: out/n.txt, params: {n: "{{n}}"}}\n',
      'pipeline.serve.yaml': 'tasks:\n  - {source: t.sh, product: out/serve.txt, params: {n: "{{n}}"}}\n',
      't.sh': 'echo {{n}} > {{product}}\n',
      'env.yaml': 'n: 1\n',
      'env.cron.yaml': 'n: 2\n',
    });
    const cron = { env: { ...process.env, PLOOMBER_ENV_FILENAME: 'env.cron.yaml' } };
    const first = nbpipe(['run'], { cwd: repo.dir, ...cron });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('env: env.cron.yaml');
    expect(repo.read('out/n.txt')).toBe('2\n');
    expect(nbpipe(['run'], { cwd: repo.dir, ...cron }).stdout).toMatch(/^ran 0, skipped 1 /m);
    const status = nbpipe(['status'], { cwd: repo.dir, ...cron });
    expect(status.stderr).toContain('env: env.cron.yaml');
    expect(status.stdout).toMatch(/^t +up to date/m);
    // Without it, env.yaml: n changed, so the task runs again.
    const plain = nbpipe(['run'], { cwd: repo.dir });
    expect(plain.stderr).toContain('env: env.yaml');
    expect(repo.read('out/n.txt')).toBe('1\n');
    const missing = nbpipe(['run'], {
      cwd: repo.dir,
      env: { ...process.env, PLOOMBER_ENV_FILENAME: 'env.nightly.yaml' },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      'nbpipe: PLOOMBER_ENV_FILENAME=env.nightly.yaml: no such file in the current folder or beside pipeline.yaml',
    );
    // Ploomber's ENTRY_POINT names the pipeline like -e does.
    const serve = nbpipe(['run'], { cwd: repo.dir, env: { ...process.env, ENTRY_POINT: 'pipeline.serve.yaml' } });
    expect(serve.code, serve.stderr).toBe(0);
    expect(repo.read('out/serve.txt')).toBe('1\n');
  });
});

const HOOKS_PROJECT = {
  'pipeline.yaml': `meta:
  extract_upstream: false
serializer: tasks.io.write
unserializer: tasks.io.read
on_render: tasks.hooks.pipeline_rendering
on_finish: tasks.hooks.pipeline_finished
on_failure:
  dotted_path: tasks.hooks.pipeline_failed
  where: log/failed.txt
tasks:
  - source: tasks.fns.numbers
    product: out/numbers.json
    on_render: tasks.hooks.rendering
    on_finish:
      dotted_path: tasks.hooks.check_numbers
      minimum: 3
  - source: tasks.fns.total
    product: out/total.json
    upstream: [numbers]
    on_failure: tasks.hooks.task_failed
`,
  'tasks/__init__.py': '',
  'tasks/io.py':
    'import json\n\ndef write(obj, product):\n    open(product, "w").write(json.dumps(obj))\n\ndef read(product):\n    return json.load(open(product))\n',
  'tasks/fns.py': 'def numbers():\n    return [1, 2, 3]\n\ndef total(upstream):\n    return sum(upstream["numbers"])\n',
  'tasks/hooks.py': `import json

def rendering(task):
    open("log/render.txt", "a").write(task.name + "\\n")

def check_numbers(product, minimum, params=None):
    assert params is None, "a parameter with a default is never injected"
    assert len(json.load(open(product))) >= minimum

def task_failed(task):
    open("log/task-failed.txt", "w").write(task.name)

def pipeline_rendering(dag):
    open("log/dag.txt", "w").write(" ".join(f"{name}<{','.join(task.upstream)}" for name, task in dag.items()))

def pipeline_finished(dag, report):
    rows = ",".join(f"{r['name']}:{r['ran']}" for r in report)
    open("log/finished.txt", "w").write(rows + " " + dag["total"].product)

def pipeline_failed(traceback, where):
    open(where, "w").write(traceback["build"])
`,
  'log/.keep': '',
};

describe.skipIf(!existsSync(SYSTEM_PYTHON))('hooks and serializers', () => {
  it('pipeline and task hooks with their arguments; a serializer writes returned values, the unserializer reads them back', () => {
    const repo = project(HOOKS_PROJECT);
    const first = nbpipe(['run'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(repo.read('out/numbers.json')).toBe('[1, 2, 3]');
    expect(repo.read('out/total.json')).toBe('6');
    expect(repo.read('log/render.txt')).toBe('numbers\n');
    expect(repo.read('log/dag.txt')).toBe('numbers< total<numbers');
    expect(repo.read('log/finished.txt')).toBe(`numbers:True,total:True ${join(repo.dir, 'out/total.json')}`);
    const second = nbpipe(['run'], { cwd: repo.dir });
    expect(second.stdout).toMatch(/^ran 0, skipped 2 /m);
    expect(repo.read('log/finished.txt')).toMatch(/^numbers:False,total:False /);

    repo.write(
      'tasks/fns.py',
      'def numbers():\n    return [1, 2, 3]\n\ndef total(upstream):\n    raise ValueError("no total today")\n',
    );
    const failed = nbpipe(['run'], { cwd: repo.dir });
    expect(failed.code).toBe(1);
    expect(repo.read('log/task-failed.txt')).toBe('total');
    expect(repo.read('log/failed.txt')).toMatch(
      /^task total failed: tasks\.fns\.total failed: ValueError: no total today \(python: /,
    );
  }, 60_000);

  it('a failing pipeline hook fails the run, naming the hook and the interpreter', () => {
    const repo = project({
      ...HOOKS_PROJECT,
      'tasks/hooks.py': HOOKS_PROJECT['tasks/hooks.py'].replace(
        'rows = ',
        'raise RuntimeError("disk full")\n    rows = ',
      ),
    });
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^nbpipe: pipeline on_finish tasks\.hooks\.pipeline_finished failed: RuntimeError: disk full \(python: \S+\)$/m,
    );
  }, 60_000);
});

// Ploomber's LocalStorageClient (a folder mirroring the project), or the example's stand-in with its interface
// (upload(local), download(local, destination)) where Ploomber is not installed, as here.
const LOCAL_STORAGE_CLIENT = readFileSync(join(ROOT, 'examples/ploomber/tasks/clients.py'), 'utf8');

describe.skipIf(!existsSync(SYSTEM_PYTHON))('clients: File', () => {
  it('uploads products after each task; a copy made from what the task is now is downloaded instead of running it', () => {
    const repo = project({
      'pipeline.yaml': `clients:
  File:
    dotted_path: clients.get
    folder: backup
  SQLScript: null
tasks:
  - {source: fns.numbers, product: out/numbers.txt, params: {n: 3}}
  - {source: fns.total, product: out/total.txt}
`,
      'clients.py': LOCAL_STORAGE_CLIENT,
      'fns.py': `def numbers(product, n):
    open("calls.txt", "a").write("numbers\\n")
    open(product, "w").write(" ".join(str(i) for i in range(n)))

def total(product, upstream):
    open("calls.txt", "a").write("total\\n")
    open(product, "w").write(str(sum(int(x) for x in open(upstream["numbers"]).read().split())))
`,
      '.gitignore': 'calls.txt\nout/\nbackup/\n',
    });
    const first = nbpipe(['run'], { cwd: repo.dir });
    expect(first.code, first.stderr).toBe(0);
    expect(repo.read('backup/out/numbers.txt')).toBe('0 1 2');
    expect(repo.read('backup/out/total.txt')).toBe('3');

    // A fresh clone with the backup: nothing runs, everything is downloaded and recorded.
    rmSync(join(repo.dir, 'out'), { recursive: true });
    rmSync(join(repo.dir, '.nbpipe'), { recursive: true });
    const restored = nbpipe(['run'], { cwd: repo.dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toContain('products downloaded with clients.File');
    expect(repo.read('out/total.txt')).toBe('3');
    expect(repo.read('calls.txt')).toBe('numbers\ntotal\n');
    expect(nbpipe(['run'], { cwd: repo.dir }).stdout).toMatch(/^ran 0, skipped 2 /m);

    // The backup was made from other params: the tasks run, and upload anew.
    repo.write('pipeline.yaml', repo.read('pipeline.yaml').replace('n: 3', 'n: 4'));
    expect(nbpipe(['run'], { cwd: repo.dir }).code).toBe(0);
    expect(repo.read('calls.txt')).toBe('numbers\ntotal\nnumbers\ntotal\n');
    expect(repo.read('backup/out/total.txt')).toBe('6');
  }, 60_000);

  it('refuses clients nbpipe has no use for, by name', () => {
    const repo = project({ 'pipeline.yaml': 'clients:\n  SQLScript: db.get\ntasks: []\n' });
    const r = nbpipe(['run'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'nbpipe: pipeline.yaml:2: clients.SQLScript: not supported: nbpipe runs no SQL tasks; only a File client (products uploaded to storage) is',
    );
  });
});

describe.skipIf(!existsSync(SYSTEM_PYTHON))('function tasks run on the Python kernel’s interpreter', () => {
  it('finds the packages only that interpreter has, whatever python3 is first on PATH, and names it in errors', () => {
    // A python3 first on PATH that is not the kernel's: nothing may run on it.
    const bin = tempDir();
    removeAfterTest(bin.cleanup);
    const fake = join(bin.dir, 'python3');
    writeFileSync(fake, '#!/bin/sh\necho "the python3 on PATH ran" >&2\nexit 7\n');
    chmodSync(fake, 0o755);
    const kernels = tempDir();
    removeAfterTest(kernels.cleanup);
    mkdirSync(join(kernels.dir, 'kernels/python3'), { recursive: true });
    writeFileSync(
      join(kernels.dir, 'kernels/python3/kernel.json'),
      JSON.stringify({
        argv: [SYSTEM_PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
        display_name: 'Python 3',
        language: 'python',
      }),
    );
    const env = {
      ...process.env,
      PATH: `${bin.dir}:${process.env.PATH}`,
      JUPYTER_PATH: kernels.dir,
      NBPIPE_PYTHON: '',
    };
    const repo = project({
      'pipeline.yaml':
        'tasks:\n  - {source: tasks.fns.version, product: out/version.txt}\n  - {source: tasks.fns.broken, product: out/never.txt}\n',
      'tasks/__init__.py': '',
      'tasks/fns.py':
        'import nbformat\n\ndef version(product):\n    open(product, "w").write(str(nbformat.current_nbformat))\n\ndef broken(product):\n    raise ValueError("no data today")\n',
    });
    const first = nbpipe(['run', '--keep-going'], { cwd: repo.dir, env });
    expect(first.code).toBe(1);
    expect(first.stderr).not.toContain('the python3 on PATH ran');
    expect(repo.read('out/version.txt')).toBe('4');
    expect(first.stderr).toContain(
      `task broken failed: tasks.fns.broken failed: ValueError: no data today (python: ${SYSTEM_PYTHON})`,
    );
    expect(nbpipe(['run', 'version'], { cwd: repo.dir, env }).stdout).toMatch(/^ran 0, skipped 2 /m);
  });
});
