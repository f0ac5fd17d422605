import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { nbpipe, SHARED, tempRepo } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const schema = JSON.parse(readFileSync(join(SHARED, 'schemas/argo-workflows.schema.json'), 'utf8'));
const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(schema, 'argo');
const validateWorkflow = ajv.getSchema('argo#/definitions/io.argoproj.workflow.v1alpha1.Workflow')!;

function expectValidWorkflow(yamlText: string): Record<string, any> {
  const workflow = parseYaml(yamlText);
  const ok = validateWorkflow(workflow);
  expect(validateWorkflow.errors ?? [], JSON.stringify(validateWorkflow.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
  return workflow;
}

/** get → clean → report, and get → fails (a task that exits 3 when FAIL is set). */
function project() {
  const repo = tempRepo();
  cleanups.push(repo.cleanup);
  repo.write(
    'pipeline.yaml',
    `tasks:
  - source: tasks/get.sh
    product: out/raw.txt
  - source: tasks/clean.sh
    product:
      data: out/clean.txt
      log: out/clean.log
    upstream: [get]
  - source: tasks/report.sh
    product: out/report.txt
    upstream: [clean]
  - source: tasks/flaky.sh
    product: out/flaky.txt
    upstream: [get]
`,
  );
  repo.write('env.yaml', 'sample: false\n');
  repo.write('tasks/get.sh', 'mkdir -p out && echo raw > out/raw.txt\n');
  repo.write('tasks/clean.sh', 'tr a-z A-Z < out/raw.txt > out/clean.txt && echo ok > out/clean.log\n');
  repo.write('tasks/report.sh', 'wc -c out/clean.txt > out/report.txt\n');
  repo.write('tasks/flaky.sh', 'echo flaky > out/flaky.txt\n');
  repo.write('.gitignore', 'out/\n.nbpipe/\n*.html\n');
  repo.git('add', '.');
  repo.git('commit', '-q', '-m', 'pipeline');
  return repo;
}

describe('nbpipe plot', () => {
  it('draws every task as never run before the first run, as Mermaid on stdout', () => {
    const repo = project();
    const r = nbpipe(['plot', '--format', 'mermaid'], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flowchart LR\n/);
    expect(r.stdout.match(/never run/g)).toHaveLength(4);
    expect(r.stdout).toContain('t0 --> t1');
  });

  it('shows up to date, outdated with the reason, and failed tasks in the HTML page (the default)', () => {
    const repo = project();
    expect(nbpipe(['run', '-q'], { cwd: repo.dir }).code).toBe(0);
    repo.write('tasks/report.sh', 'wc -l out/clean.txt > out/report.txt\n');
    repo.write('tasks/flaky.sh', 'exit 3\n');
    expect(nbpipe(['run', '-q', 'flaky'], { cwd: repo.dir }).code).toBe(1);
    const r = nbpipe(['plot'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('.nbpipe/pipeline.html\n');
    const html = repo.read('.nbpipe/pipeline.html');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<title>get: up to date</title>');
    expect(html).toContain('<title>clean: up to date</title>');
    expect(html).toContain('<title>report: outdated (source changed)</title>');
    expect(html).toMatch(/<title>flaky: failed( \([^)]*\))?<\/title>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
  });

  it('takes the format from the output file name, and refuses one it cannot tell', () => {
    const repo = project();
    let r = nbpipe(['plot', '-o', 'dag.dot'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(repo.read('dag.dot')).toMatch(/^digraph pipeline \{/);
    expect(repo.read('dag.dot')).toContain('"clean" -> "report";');
    r = nbpipe(['plot', '-o', 'dag.png'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-o dag.png: cannot tell the format');
    // a usage error writes nothing
    r = nbpipe(['plot', '-f', 'svg', '-o', 'dag.svg'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Choices: "html", "mermaid", "dot"');
    expect(existsSync(join(repo.dir, 'dag.svg'))).toBe(false);
  });

  it("writes the page into the project's git-ignored state folder by default and prints its path; -o still wins", () => {
    const repo = project();
    repo.write('.gitignore', 'out/\n');
    repo.git('commit', '-q', '-am', 'nothing nbpipe writes is ignored by the project');
    let r = nbpipe(['plot'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('.nbpipe/pipeline.html\n');
    expect(repo.read('.nbpipe/pipeline.html')).toMatch(/^<!DOCTYPE html>/);
    expect(existsSync(join(repo.dir, 'pipeline.html'))).toBe(false);
    expect(repo.git('status', '--porcelain', '--untracked-files=all').stdout).toBe('');
    // From a subfolder, the path is relative to it.
    repo.write('tasks/notes.txt', 'x\n');
    r = nbpipe(['plot', '-q'], { cwd: join(repo.dir, 'tasks') });
    expect(r.stdout).toBe('../.nbpipe/pipeline.html\n');
    r = nbpipe(['plot', '-o', 'dag.html'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(repo.read('dag.html')).toMatch(/^<!DOCTYPE html>/);
  });

  it('reports a broken pipeline.yaml in one line, exit 2', () => {
    const repo = project();
    repo.write('pipeline.yaml', 'tasks:\n  - source: [\n');
    const r = nbpipe(['plot', '-f', 'dot'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('pipeline.yaml');
  });
});

describe('nbpipe export argo', () => {
  it('writes a Workflow with one step per task and the DAG as dependencies, valid against the Argo schema', () => {
    const repo = project();
    const r = nbpipe(['export', 'argo', '--image', 'registry.example.com/team/shop:1.0', '-o', 'workflow.yaml'], {
      cwd: repo.dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const wf = expectValidWorkflow(repo.read('workflow.yaml'));
    expect(wf.kind).toBe('Workflow');
    const dag = wf.spec.templates[0].dag.tasks as { name: string; dependencies?: string[] }[];
    expect(dag.map((t) => t.name)).toEqual(['prepare-workspace', 'get', 'clean', 'report', 'flaky']);
    expect(dag.find((t) => t.name === 'report')!.dependencies).toEqual(['clean']);
    const step = wf.spec.templates.find((t: { name: string }) => t.name === 'clean');
    expect(step.container.image).toBe('registry.example.com/team/shop:1.0');
    expect(step.container.command).toEqual(['nbpipe', 'run', 'clean', '--only', '--force']);
  });

  it('takes image, storage, resources and namespace from the config, and passes --env overrides to the steps', () => {
    const repo = project();
    repo.write(
      '.nbpiperc.yaml',
      `argo:
  image: shop:2
  namespace: data
  serviceAccountName: runner
  storage: artifacts
  projectDir: /srv/shop
  resources:
    requests: { cpu: 500m, memory: 1Gi }
`,
    );
    const r = nbpipe(['export', 'argo', '--env', 'sample=true'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const wf = expectValidWorkflow(r.stdout);
    expect(wf.metadata.namespace).toBe('data');
    expect(wf.spec.serviceAccountName).toBe('runner');
    expect(wf.spec.volumeClaimTemplates).toBeUndefined();
    const clean = wf.spec.templates.find((t: { name: string }) => t.name === 'clean');
    expect(clean.container.image).toBe('shop:2');
    expect(clean.container.workingDir).toBe('/srv/shop');
    expect(clean.container.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' } });
    expect(clean.container.command).toEqual(['nbpipe', 'run', 'clean', '--only', '--force', '--env=sample=true']);
    expect(clean.inputs.artifacts).toEqual([{ name: 'get-product', path: '/srv/shop/out/raw.txt' }]);
    expect(clean.outputs.artifacts.map((a: { name: string }) => a.name)).toEqual(['data', 'log']);
    // --image wins over the config
    expect(nbpipe(['export', 'argo', '--image', 'shop:3'], { cwd: repo.dir }).stdout).toContain('image: shop:3');
  });

  it('exports only outdated tasks with --outdated, and the tasks changed since a commit with --changed', () => {
    const repo = project();
    expect(nbpipe(['run', '-q'], { cwd: repo.dir }).code).toBe(0);
    repo.write('tasks/clean.sh', 'tr a-z A-Z < out/raw.txt > out/clean.txt; echo changed > out/clean.log\n');
    let r = nbpipe(['export', 'argo', '--image', 'shop:1', '--outdated'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    let wf = expectValidWorkflow(r.stdout);
    expect(wf.spec.templates[0].dag.tasks.map((t: { name: string }) => t.name)).toEqual([
      'prepare-workspace',
      'clean',
      'report',
    ]);
    expect(r.stderr).toContain('incremental export');

    repo.git('commit', '-q', '-am', 'clean changed');
    r = nbpipe(['export', 'argo', '--image', 'shop:1', '--changed', '--since', 'HEAD~1'], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    wf = expectValidWorkflow(r.stdout);
    const dag = wf.spec.templates[0].dag.tasks as { name: string; dependencies?: string[] }[];
    expect(dag.map((t) => t.name)).toEqual(['prepare-workspace', 'clean', 'report']);
    expect(dag.find((t) => t.name === 'clean')!.dependencies).toEqual(['prepare-workspace']);

    expect(nbpipe(['run', '-q'], { cwd: repo.dir }).code).toBe(0);
    r = nbpipe(['export', 'argo', '--image', 'shop:1', '--outdated', '-o', 'wf.yaml'], { cwd: repo.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('nothing to export');
  });

  it("names the workflow and the plot after the origin repository, not the clone's folder; argo.name wins", () => {
    const repo = project();
    const title = () => {
      expect(nbpipe(['plot'], { cwd: repo.dir }).code).toBe(0);
      return /<h1>([^<]*)<\/h1>/.exec(repo.read('.nbpipe/pipeline.html'))![1];
    };
    const generateName = (cwd = repo.dir) =>
      expectValidWorkflow(nbpipe(['export', 'argo', '--image', 'shop:1'], { cwd }).stdout).metadata.generateName;
    // Without a remote, the project folder's name is all there is.
    const folder = basename(repo.dir);
    expect(generateName()).toBe(`${folder.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-`);
    repo.git('remote', 'add', 'origin', 'git@example.com:team/Shop_Analytics.git');
    expect(generateName()).toBe('shop-analytics-');
    expect(title()).toBe('Shop_Analytics: pipeline');
    repo.git('remote', 'set-url', 'origin', 'https://example.com/team/shop/');
    expect(generateName()).toBe('shop-');
    // A pipeline in a subfolder is named after that folder, which every clone has.
    repo.write('projects/sales/pipeline.yaml', 'tasks:\n  - source: get.sh\n    product: raw.txt\n');
    repo.write('projects/sales/get.sh', 'echo x > raw.txt\n');
    expect(generateName(join(repo.dir, 'projects/sales'))).toBe('sales-');
    repo.write('.nbpiperc.yaml', 'argo:\n  name: nightly\n');
    expect(generateName()).toBe('nightly-');
  });

  it('needs an image, and reports a wrong config value by file and key (exit 2)', () => {
    const repo = project();
    let r = nbpipe(['export', 'argo'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no image');
    repo.write('.nbpiperc.yaml', 'argo:\n  image: x\n  storage: s3\n');
    r = nbpipe(['export', 'argo'], { cwd: repo.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.nbpiperc\.yaml: "argo\.storage": expected one of "volume", "artifacts"/);
    r = nbpipe(['export', 'argo', '--image', 'x', '--outdated', '--changed'], { cwd: repo.dir });
    expect(r.code).toBe(2);
  });
});
