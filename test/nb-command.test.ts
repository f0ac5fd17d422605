import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codeCell, markdownCell, parse, serialize } from '@nbpipe/nbformat';
import { nbpipe, tempRepo } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const LOAD_PERCENT = `# %% tags=["parameters"]
upstream = None
product = None

# %%
open(product['data'], 'w').write('raw')
`;

/** Light format, with a jupytext header written by another jupytext version (a line our writer would not produce). */
const CLEAN_LIGHT = `# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: light
#       format_version: '1.5'
#       jupytext_version: 1.16.4
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# + tags=["parameters"]
upstream = ['load']
product = None
sample = None
# -

text = open(upstream['load']['data']).read()
open(product['data'], 'w').write(text.upper())
`;

function exploreNotebook(): string {
  return serialize({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      { ...markdownCell('# Explore'), id: 'intro' },
      { ...codeCell("upstream = ['clean']\nproduct = None", { metadata: { tags: ['parameters'] } }), id: 'params' },
      { ...codeCell("print(open(upstream['clean']['data']).read())"), id: 'body' },
    ],
  });
}

const PIPELINE = `# the demo pipeline
tasks:
  - source: tasks/load.py  # raw data
    product:
      nb: out/load.ipynb
      data: out/raw.txt
  - source: 'tasks/clean.py'
    product:
      nb: out/clean.html
      data: out/clean.txt
    params:
      sample: 10
  - source: tasks/explore.ipynb
    product: out/explore.ipynb
  - source: tasks/side.sh
    product: out/side.txt
`;

function project() {
  const repo = tempRepo();
  cleanups.push(repo.cleanup);
  repo.write('pipeline.yaml', PIPELINE);
  repo.write('tasks/load.py', LOAD_PERCENT);
  repo.write('tasks/clean.py', CLEAN_LIGHT);
  repo.write('tasks/explore.ipynb', exploreNotebook());
  repo.write('tasks/side.sh', 'echo side > out/side.txt\n');
  return repo;
}

describe('nbpipe nb --inject / --remove', () => {
  it('injects the values a run uses, after the parameters cell, in each source in its own format', () => {
    const repo = project();
    const r = nbpipe(['nb', '--inject'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const out = (path: string) => join(repo.dir, path).replace(/\\/g, '\\\\');
    const clean = repo.read('tasks/clean.py');
    expect(clean).toContain(
      `sample = None\n\n# + tags=["injected-parameters"]\n# Parameters\nupstream = {'load': {'nb': '${out('out/load.ipynb')}', 'data': '${out('out/raw.txt')}'}}\nproduct = {'nb': '${out('out/clean.html')}', 'data': '${out('out/clean.txt')}'}\nsample = 10\n\n# -\n\ntext = open`,
    );
    expect(clean).toContain('jupytext_version: 1.16.4'); // the rest of the file is left as it was
    const load = repo.read('tasks/load.py');
    expect(load).toMatch(
      /^# %% tags=\["parameters"\]\nupstream = None\nproduct = None\n\n# %% tags=\["injected-parameters"\]\n# Parameters\nproduct = \{'nb'/,
    );
    expect(load).not.toContain('upstream = {');
    const explore = parse(repo.read('tasks/explore.ipynb'));
    expect(explore.cells.map((c) => c.metadata.tags ?? [])).toEqual([[], ['parameters'], ['injected-parameters'], []]);
    expect(explore.cells[2]!.source).toContain(`product = '${out('out/explore.ipynb')}'`);
    expect(repo.read('tasks/side.sh')).toBe('echo side > out/side.txt\n');
    // injecting again changes nothing
    const again = nbpipe(['nb', '--inject'], { cwd: repo.dir });
    expect(again.code).toBe(0);
    expect(repo.read('tasks/clean.py')).toBe(clean);
    expect(repo.read('tasks/explore.ipynb')).toBe(serialize(explore));
  });

  it('leaves every source byte-identical after --inject then --remove', () => {
    const repo = project();
    expect(nbpipe(['nb', '--inject'], { cwd: repo.dir }).code).toBe(0);
    expect(repo.read('tasks/load.py')).not.toBe(LOAD_PERCENT);
    const r = nbpipe(['nb', '--remove'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(repo.read('tasks/load.py')).toBe(LOAD_PERCENT);
    expect(repo.read('tasks/clean.py')).toBe(CLEAN_LIGHT);
    expect(repo.read('tasks/explore.ipynb')).toBe(exploreNotebook());
  });

  it('touches only the named tasks, and does not rewrite a source without an injected cell', () => {
    const repo = project();
    expect(nbpipe(['nb', '--inject', 'clean'], { cwd: repo.dir }).code).toBe(0);
    expect(repo.read('tasks/load.py')).toBe(LOAD_PERCENT);
    expect(repo.read('tasks/clean.py')).toContain('injected-parameters');
    const before = statSync(join(repo.dir, 'tasks/load.py')).mtimeMs;
    const r = nbpipe(['nb', '--remove', 'load'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('tasks/load.py: unchanged');
    expect(statSync(join(repo.dir, 'tasks/load.py')).mtimeMs).toBe(before);
  });

  it("writes the cell in the kernel's language (R)", () => {
    const repo = project();
    // the upstream of an R notebook is declared in pipeline.yaml (sources are read for it as Python)
    repo.write(
      'pipeline.yaml',
      PIPELINE.replace('    product: out/explore.ipynb\n', '    product: out/explore.ipynb\n    upstream: [clean]\n'),
    );
    repo.write(
      'tasks/explore.ipynb',
      serialize({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'ir', display_name: 'R', language: 'R' } },
        cells: [
          {
            ...codeCell("upstream <- list('clean')\nproduct <- NULL", { metadata: { tags: ['parameters'] } }),
            id: 'params',
          },
        ],
      }),
    );
    const r = nbpipe(['nb', '--inject', 'explore'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const cell = parse(repo.read('tasks/explore.ipynb')).cells[1]!;
    expect(cell.metadata.tags).toEqual(['injected-parameters']);
    expect(cell.source).toMatch(
      /^# Parameters\nupstream = list\("clean" = list\("nb" = ".*\/out\/clean\.html", "data" = ".*\/out\/clean\.txt"\)\)\nproduct = ".*\/out\/explore\.ipynb"\n$/,
    );
  });

  it('reports bad input in one line with exit 2, and writes nothing', () => {
    const repo = project();
    let r = nbpipe(['nb', '--inject', 'nope'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no task named "nope"');
    r = nbpipe(['nb', '--inject', 'side'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tasks/side.sh is not a notebook');
    r = nbpipe(['nb'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--inject, --remove or --format');
    r = nbpipe(['nb', '--inject', '--remove'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mutually exclusive');
    repo.write('tasks/explore.ipynb', exploreNotebook().slice(0, 200));
    r = nbpipe(['nb', '--inject'], { cwd: repo.dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('explore.ipynb');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(repo.read('tasks/load.py')).toBe(LOAD_PERCENT);
    expect(repo.read('tasks/clean.py')).toBe(CLEAN_LIGHT);
  });
});

describe('nbpipe nb --format', () => {
  it('converts .py sources to notebooks and renames them in pipeline.yaml, keeping its comments and quoting', () => {
    const repo = project();
    const r = nbpipe(['nb', '--format', 'ipynb'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(repo.dir, 'tasks/load.py'))).toBe(false);
    expect(existsSync(join(repo.dir, 'tasks/clean.py'))).toBe(false);
    expect(repo.read('pipeline.yaml')).toBe(
      PIPELINE.replace('tasks/load.py', 'tasks/load.ipynb').replace("'tasks/clean.py'", "'tasks/clean.ipynb'"),
    );
    const clean = parse(repo.read('tasks/clean.ipynb'));
    expect(clean.metadata.kernelspec?.name).toBe('python3');
    expect(clean.cells[0]!.metadata.tags).toEqual(['parameters']);
    expect(repo.read('tasks/clean.ipynb')).toBe(serialize(clean));
    // the pipeline still loads, with the same tasks
    const status = nbpipe(['status', '--json'], { cwd: repo.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).map((t: { source: string }) => t.source)).toEqual([
      'tasks/load.ipynb',
      'tasks/clean.ipynb',
      'tasks/explore.ipynb',
      'tasks/side.sh',
    ]);

    // and back to scripts
    const back = nbpipe(['nb', '--format', 'py:percent'], { cwd: repo.dir });
    expect(back.code, back.stderr).toBe(0);
    expect(repo.read('pipeline.yaml')).toBe(PIPELINE.replace('tasks/explore.ipynb', 'tasks/explore.py'));
    expect(repo.read('tasks/load.py')).toBe(LOAD_PERCENT);
    expect(repo.read('tasks/explore.py')).toContain('# %% tags=["parameters"]\nupstream = [\'clean\']');
  });

  it('changes the format of a script in place without touching pipeline.yaml', () => {
    const repo = project();
    const r = nbpipe(['nb', '--format', 'py:light', 'load'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(repo.read('tasks/load.py')).toBe(
      `# + tags=["parameters"]\nupstream = None\nproduct = None\n# -\n\nopen(product['data'], 'w').write('raw')\n`,
    );
    expect(repo.read('pipeline.yaml')).toBe(PIPELINE);
  });

  it('refuses to overwrite an existing file or to use another format, and changes nothing', () => {
    const repo = project();
    repo.write('tasks/load.ipynb', '{}');
    let r = nbpipe(['nb', '--format', 'ipynb'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tasks/load.ipynb already exists');
    expect(repo.read('tasks/load.py')).toBe(LOAD_PERCENT);
    expect(existsSync(join(repo.dir, 'tasks/clean.ipynb'))).toBe(false);
    expect(repo.read('pipeline.yaml')).toBe(PIPELINE);
    r = nbpipe(['nb', '--format', 'md'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.ipynb notebooks or .py scripts');
  });
});
