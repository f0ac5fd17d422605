import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { argoWorkflow, dnsLabel, type ExportTask } from '../src/export/argo.js';
import { SHARED } from '@nbpipe/test-support';

const schema = JSON.parse(readFileSync(join(SHARED, 'schemas/argo-workflows.schema.json'), 'utf8'));
const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(schema, 'argo');
const validateWorkflow = ajv.getSchema('argo#/definitions/io.argoproj.workflow.v1alpha1.Workflow')!;

const tasks: ExportTask[] = [
  { name: 'get', upstream: [], products: { nb: 'output/get.ipynb', data: 'output/get.csv' } },
  { name: 'clean_Data', upstream: ['get'], products: { nb: 'output/clean.html', data: 'output/clean.csv' } },
  { name: 'features', upstream: ['get'], products: { data: 'output/features.csv' } },
  { name: 'train', upstream: ['clean_Data', 'features'], products: { nb: 'output/train.ipynb' } },
];

function expectValid(workflow: unknown) {
  const ok = validateWorkflow(workflow);
  expect(validateWorkflow.errors ?? [], JSON.stringify(validateWorkflow.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
}

describe('argo export', () => {
  it('rejects an invalid workflow (the schema check can fail)', () => {
    expect(
      validateWorkflow({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', spec: { templates: 'nope' } }),
    ).toBe(false);
  });

  it('writes a DAG with one step per task over a shared volume, valid against the Argo schema', () => {
    const wf = argoWorkflow(tasks, {
      image: 'registry.example.com/team/project:1.0',
      name: 'Sales Pipeline',
      resources: { requests: { cpu: '500m', memory: '1Gi' } },
    });
    expectValid(wf);
    const spec = wf.spec as {
      templates: { name: string; dag?: { tasks: { name: string; dependencies?: string[] }[] } }[];
    };
    const dag = spec.templates[0]!.dag!.tasks;
    expect(dag.map((t) => t.name)).toEqual(['prepare-workspace', 'get', 'clean-data', 'features', 'train']);
    expect(dag.find((t) => t.name === 'train')!.dependencies).toEqual(['clean-data', 'features']);
    expect(dag.find((t) => t.name === 'get')!.dependencies).toEqual(['prepare-workspace']);
    expect((wf.metadata as { generateName: string }).generateName).toBe('sales-pipeline-');
    expect(JSON.stringify(wf)).toContain('"command":["nbpipe","run","clean_Data","--only","--force"]');
  });

  it('passes products as artifacts when asked, valid against the Argo schema', () => {
    const wf = argoWorkflow(tasks, { image: 'project:1', storage: 'artifacts' });
    expectValid(wf);
    const text = JSON.stringify(wf);
    expect(text).toContain('{{tasks.get.outputs.artifacts.data}}');
    expect(text).not.toContain('volumeClaimTemplates');
  });

  it('exports a subset (outdated tasks only) without dangling dependencies', () => {
    const wf = argoWorkflow(tasks.slice(2), { image: 'project:1', volume: { claimName: 'pipeline-data' } });
    expectValid(wf);
    expect(JSON.stringify(wf)).not.toContain('"get"');
    expect(JSON.stringify(wf)).toContain('"claimName":"pipeline-data"');
  });

  it('makes DNS labels of any task name', () => {
    expect(dnsLabel('Fit Model [alpha=0.1]')).toBe('fit-model-alpha-0-1');
    expect(dnsLabel('__')).toBe('task');
    expect(dnsLabel('x'.repeat(80))).toHaveLength(63);
  });
});
