import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../src/spec.js';
import { PipelineError } from '../src/errors.js';

const ROOT = '/project';
const parse = (text: string, env?: string, overrides: Record<string, string> = {}) =>
  parsePipelineSpec(
    {
      file: `${ROOT}/pipeline.yaml`,
      text,
      ...(env !== undefined ? { envFile: `${ROOT}/env.yaml`, envText: env } : {}),
    },
    { cwd: ROOT, git: { git: 'main', git_hash: 'abc1234' }, overrides },
  );
const problem = (text: string, env?: string, overrides?: Record<string, string>) => {
  try {
    parse(text, env, overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return (e as Error).message;
  }
  throw new Error('expected a PipelineError');
};

describe('pipeline.yaml', () => {
  it('reads tasks with Ploomber defaults: name from the source stem, products relative to the root', () => {
    const spec = parse(`tasks:
  - source: scripts/get.py
    product:
      nb: output/get.ipynb
      data: output/raw.csv
  - source: scripts/clean.sh
    name: cleaning
    product: output/clean.csv
    upstream: get
    inputs: ['src/**/*.py', data/raw.csv]
executor: parallel
`);
    expect(spec.executor).toBe('parallel');
    expect(spec.tasks.map((t) => [t.name, t.kind, t.source, t.product, t.upstream, t.inputs, t.line])).toEqual([
      ['get', 'notebook', 'scripts/get.py', { nb: 'output/get.ipynb', data: 'output/raw.csv' }, undefined, [], 2],
      ['cleaning', 'shell', 'scripts/clean.sh', 'output/clean.csv', ['get'], ['src/**/*.py', 'data/raw.csv'], 6],
    ]);
  });

  it('reads python callables, on_finish, nbconvert_export_kwargs, static_analysis and a pipeline-level notebook executor', () => {
    const spec = parse(`executor: jupyter
tasks:
  - source: pkg.tasks.get
    product: a.csv
  - source: b.py
    product: {nb: b.html}
    on_finish: checks.no_nulls
    nbconvert_export_kwargs: {exclude_input: true}
    static_analysis: false
    kernelspec_name: ir
  - source: c.py
    executor: python
    product: c.ipynb
`);
    expect(spec.tasks.map((t) => [t.name, t.kind, t.source, t.callable, t.executor])).toEqual([
      ['get', 'callable', 'pkg/tasks.py', 'pkg.tasks.get', undefined],
      ['b', 'notebook', 'b.py', undefined, 'jupyter'],
      ['c', 'notebook', 'c.py', undefined, 'python'],
    ]);
    expect(spec.tasks[1]).toMatchObject({
      onFinish: 'checks.no_nulls',
      exportOptions: { exclude_input: true },
      staticAnalysis: 'disable',
      kernelName: 'ir',
    });
  });

  it('renders env.yaml and built-in placeholders in values, casting rendered strings as Ploomber does', () => {
    const env = 'sample: false\nnested:\n  n: 3\ndata: "{{here}}/data"\npath:\n  home: ~/x\n';
    const spec = parse(
      `tasks:
  - source: a.sh
    product: out/{{git}}/a.txt
    params:
      sample: '{{sample}}'
      n: '{{nested.n}}'
      where: '{{data}}/{{sample}}.csv'
      list: '[1, 2]'
      label: 'run at {{now}}'
      home: '{{path.home}}'
`,
      env,
    );
    const t = spec.tasks[0]!;
    expect(t.product).toBe('out/main/a.txt');
    expect(t.params).toMatchObject({ sample: false, n: 3, where: '/project/data/False.csv', list: '[1, 2]' });
    expect(t.params.home).toMatch(/\/x$/);
    expect(t.params.label).toMatch(/^run at \d{4}-\d\d-\d\dT/);
    // {{now}} changes every run: the fingerprint sees it unrendered.
    expect(t.fingerprintParams?.label).toBe('run at {{now}}');
  });

  it('takes --env overrides, nested ones too, and rejects unknown keys', () => {
    const yaml = "tasks:\n  - {source: a.sh, product: a.txt, params: {s: '{{sample}}', n: '{{nested.n}}'}}\n";
    const env = 'sample: false\nnested:\n  n: 3\n';
    expect(parse(yaml, env, { sample: 'true', 'nested.n': '4' }).tasks[0]!.params).toEqual({ s: true, n: 4 });
    expect(problem(yaml, env, { smaple: 'true' })).toBe('--env smaple: no such key (env.yaml defines: sample, nested)');
  });

  it('expands a grid: one task per combination, [[param]] in names and products, -i suffixes otherwise', () => {
    const spec = parse(`tasks:
  - source: fit.py
    name: fit-[[model]]-[[alpha]]
    product: out/[[model]]/[[alpha]].ipynb
    params: {seed: 1}
    grid:
      model: [rf, lr]
      alpha: [0.1, 1]
  - source: eval.sh
    name: eval
    product: out/eval.tar.gz
    grid:
      - {k: [1, 2]}
      - {k: 3}
`);
    expect(spec.tasks.map((t) => [t.name, t.product, t.params])).toEqual([
      ['fit-rf-0.1', 'out/rf/0.1-0.ipynb', { model: 'rf', alpha: 0.1, seed: 1 }],
      ['fit-rf-1', 'out/rf/1-1.ipynb', { model: 'rf', alpha: 1, seed: 1 }],
      ['fit-lr-0.1', 'out/lr/0.1-2.ipynb', { model: 'lr', alpha: 0.1, seed: 1 }],
      ['fit-lr-1', 'out/lr/1-3.ipynb', { model: 'lr', alpha: 1, seed: 1 }],
      ['eval0', 'out/eval-0.tar.gz', { k: 1 }],
      ['eval1', 'out/eval-1.tar.gz', { k: 2 }],
      ['eval2', 'out/eval-2.tar.gz', { k: 3 }],
    ]);
  });

  it("names grid tasks and products as Ploomber 0.23 does: -index before the extension, placeholders or not, '' for a parameter a mapping lacks", () => {
    const spec = parse(`tasks:
  - source: fns.fit
    name: fit-
    product: out/m.pkl
    grid: {a: [1, 2], b: [x, y]}
    params: {k: c}
  - source: fns.fit
    name: 't-[[a]]-[[c]]'
    product: 'o/[[a]]/m-[[c]].tar.gz'
    grid: [{a: [10], c: [u, v]}, {a: 20}]
  - source: fns.fit
    name: model-[[model]]
    product: {model: 'out/model-[[model]].pkl', '.hidden': out/.hidden, folder: out/rep}
    grid: {model: [sklearn.svm.SVC]}
`);
    expect(spec.tasks.map((t) => [t.name, t.product, t.params])).toEqual([
      ['fit-0', 'out/m-0.pkl', { a: 1, b: 'x', k: 'c' }],
      ['fit-1', 'out/m-1.pkl', { a: 1, b: 'y', k: 'c' }],
      ['fit-2', 'out/m-2.pkl', { a: 2, b: 'x', k: 'c' }],
      ['fit-3', 'out/m-3.pkl', { a: 2, b: 'y', k: 'c' }],
      ['t-10-u', 'o/10/m-u-0.tar.gz', { a: 10, c: 'u' }],
      ['t-10-v', 'o/10/m-v-1.tar.gz', { a: 10, c: 'v' }],
      ['t-20-', 'o/20/m--2.tar.gz', { a: 20 }],
      [
        'model-sklearn.svm.SVC',
        { model: 'out/model-sklearn.svm.SVC-0.pkl', '.hidden': 'out/.hidden-0', folder: 'out/rep-0' },
        { model: 'sklearn.svm.SVC' },
      ],
    ]);
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, grid: {k: [1]}}\n')).toMatch(
      /^pipeline\.yaml:2: tasks\[0\]\.grid: a task with a grid needs a `name`/,
    );
    expect(problem('tasks:\n  - {source: a.sh, name: a, product: a.txt, params: {k: 0}, grid: {k: [1]}}\n')).toBe(
      'pipeline.yaml:2: tasks[0].grid: k in both params and grid',
    );
  });

  it("takes papermill_params (Ploomber's older name) like executor_params: log_output honoured, other options refused by name", () => {
    const spec = parse(
      'tasks:\n  - {source: a.py, product: a.ipynb, papermill_params: {log_output: true}}\n  - {source: b.py, product: b.ipynb, executor_params: {log_output: false}}\n',
    );
    expect(spec.tasks.map((t) => t.logOutput)).toEqual([true, undefined]);
    expect(
      problem(
        'tasks:\n  - source: a.py\n    product: a.ipynb\n    papermill_params: {log_output: true, progress_bar: false}\n',
      ),
    ).toBe(
      "pipeline.yaml:4: tasks[0].papermill_params.progress_bar: not supported (nbpipe's notebook executors honour: log_output)",
    );
    expect(
      problem('tasks:\n  - source: a.py\n    product: a.ipynb\n    executor_params: {}\n    papermill_params: {}\n'),
    ).toMatch(/^pipeline\.yaml:5: tasks\[0\]\.papermill_params: executor_params and papermill_params/);
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, papermill_params: {log_output: true}}\n')).toBe(
      'pipeline.yaml:2: tasks[0].papermill_params: only notebook tasks have an executor to pass options to',
    );
  });

  it('params.resources_ are inputs (their content counts); module::function values are refused, not passed on as text', () => {
    const spec = parse(
      'tasks:\n  - {source: a.sh, product: a.txt, inputs: [x.csv], params: {resources_: {query: sql/q.sql}}}\n',
    );
    expect(spec.tasks[0]!.inputs).toEqual(['x.csv', 'sql/q.sql']);
    expect(spec.tasks[0]!.params).toEqual({ resources_: { query: 'sql/q.sql' } });
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, params: {resources_: [q.sql]}}\n')).toBe(
      'pipeline.yaml:2: tasks[0].params.resources_: expected a mapping of names to file paths',
    );
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, params: {n: "grids::get_n"}}\n')).toBe(
      'pipeline.yaml:2: tasks[0].params.n: grids::get_n: values computed by a python function (module::function) are not supported: write the value',
    );
    expect(
      problem('tasks:\n  - {source: a.sh, name: a, product: a.txt, grid: {n: {dotted_path: "grids::get_n", k: 1}}}\n'),
    ).toMatch(/^pipeline\.yaml:2: tasks\[0\]\.grid\.n: grids::get_n: values computed/);
  });

  it('hashes params as mappings: key order does not matter, values do', () => {
    const a = parse('tasks:\n  - {source: a.sh, product: a.txt, params: {x: 1, y: 2}}\n').tasks[0]!;
    const b = parse('tasks:\n  - {source: a.sh, product: a.txt, params: {y: 2, x: 1}}\n').tasks[0]!;
    const c = parse('tasks:\n  - {source: a.sh, product: a.txt, params: {y: 2, x: 3}}\n').tasks[0]!;
    expect(a.paramsHash).toBe(b.paramsHash);
    expect(a.paramsHash).not.toBe(c.paramsHash);
    expect(a.definitionHash).toBe(c.definitionHash);
  });

  it('names file, line and key in every problem', () => {
    expect(problem('tasks:\n  - source: a.sh\n')).toBe('pipeline.yaml:2: tasks[0]: missing `product`');
    expect(problem('tasks:\n  - source: a.sql\n    product: a.html\n')).toMatch(
      /^pipeline\.yaml:2: tasks\[0\]\.source: unsupported source type "\.sql"/,
    );
    expect(problem('tasks:\n  - source: a.py\n    product: a.ipynb\n    static_analysis: loose\n')).toBe(
      'pipeline.yaml:4: tasks[0].static_analysis: expected regular, strict or disable',
    );
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt}\n  - {source: b/a.sh, product: b.txt}\n')).toBe(
      'pipeline.yaml:3: tasks[1].name: duplicate task name "a" (also on line 2)',
    );
    expect(problem('meta:\n  import_tasks_from: more.yaml\ntasks: []\n')).toBe(
      'pipeline.yaml:2: meta.import_tasks_from: unsupported key',
    );
    expect(problem('config: {}\ntasks: []\n')).toMatch(/^pipeline\.yaml:1: config: unsupported key/);
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, retries: 2}\n')).toBe(
      'pipeline.yaml:2: tasks[0].retries: unsupported task key (supported: source, product, name, upstream, params, grid, ' +
        'inputs, executor, executor_params, papermill_params, on_render, on_finish, on_failure, serializer, unserializer, ' +
        'static_analysis, nbconvert_export_kwargs, kernelspec_name, slurm)',
    );
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, on_render: m.f, on_failure: [m.f]}\n')).toMatch(
      /^pipeline\.yaml:2: tasks\[0\]\.on_failure: expected a python function/,
    );
    expect(problem('executor: fast\ntasks: []\n')).toBe(
      'pipeline.yaml:1: executor: expected serial or parallel (scheduling), or jupyter or python (how notebook tasks run)',
    );
    expect(problem('tasks:\n  - source: a.sh\n    name: a\n    product: a.txt\n    grid: {k: []}\n')).toBe(
      'pipeline.yaml:5: tasks[0].grid.k: expected at least one value',
    );
    expect(problem('tasks: [\n')).toMatch(/^pipeline\.yaml:\d: invalid YAML/);
    expect(problem(`tasks:\n  - source: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`)).toBe(
      'pipeline.yaml: invalid YAML: nesting too deep to read',
    );
    expect(
      problem('tasks: []\n', `a:\n${Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i + 1)}- \n`).join('')}`),
    ).toBe('env.yaml: invalid YAML: nesting too deep to read');
    expect(problem('tasks:\n  - {source: a.sh, product: a.txt, params: {x: "{{ nope }}"}}\n', 'a: 1\n')).toMatch(
      /^pipeline\.yaml:2: tasks\[0\]\.params\.x: unknown placeholder \{\{ nope \}\} \(known: a, root, here/,
    );
    expect(problem('tasks: []\n', 'b: "{{a}}"\na: 1\n')).toMatch(/^env\.yaml:1: b: unknown placeholder \{\{a\}\}/);
  });
});
