import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../src/spec.js';
import { resourceOptions, slurmSettingsProblem } from '../src/slurm/settings.js';
import { slurmJobs } from '../src/slurm/jobs.js';
import { slurmSubmitScript } from '../src/export/slurm.js';
import { StateStore, type TaskRecord } from '../src/state.js';

const parse = (text: string) =>
  parsePipelineSpec(
    { file: '/project/pipeline.yaml', text },
    { cwd: '/project', git: { git: 'main', git_hash: 'abc1234' }, overrides: {} },
  );

describe('slurm settings', () => {
  it("a task's `slurm:` key is read, checked with the key named, and left out of the fingerprint", () => {
    const plain = parse('tasks:\n  - {source: a.sh, product: a.txt}\n').tasks[0]!;
    const task = parse("tasks:\n  - {source: a.sh, product: a.txt, slurm: {cpus: 4, time: 30, extra: '--comment=x'}}\n")
      .tasks[0]!;
    expect(task.slurm).toEqual({ cpus: 4, time: '30', extra: ['--comment=x'] });
    expect(task.definitionHash).toBe(plain.definitionHash);
    expect(() => parse('tasks:\n  - {source: a.sh, product: a.txt, slurm: {cpu: 4}}\n')).toThrow(
      /tasks\[0\]\.slurm\.cpu: unknown key \(keys: partition, /,
    );
    expect(() => parse('tasks:\n  - {source: a.sh, product: a.txt, slurm: {memory: 4}}\n')).toThrow(
      /tasks\[0\]\.slurm\.memory: expected a non-empty string/,
    );
    expect(parse('cluster: slurm\ntasks:\n  - {source: a.sh, product: a.txt}\n').cluster).toBe('slurm');
    expect(() => parse('cluster: k8s\ntasks:\n  - {source: a.sh, product: a.txt}\n')).toThrow(
      /cluster: expected local or slurm/,
    );
  });

  it('a task overrides the defaults key by key; extra options add up', () => {
    expect(
      resourceOptions(
        { partition: 'short', time: '10', extra: ['--comment=a'] },
        { time: '2:00:00', cpus: 2, extra: ['--nice=5'] },
      ),
    ).toEqual(['--partition=short', '--time=2:00:00', '--cpus-per-task=2', '--comment=a', '--nice=5']);
    expect(slurmSettingsProblem({ cpus: 1.5 })).toEqual({ key: 'cpus', problem: 'expected a positive integer' });
    expect(slurmSettingsProblem({ extra: ['constraint=x'] })?.key).toBe('extra');
    expect(slurmSettingsProblem([])?.key).toBeUndefined();
  });
});

describe('export slurm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-slurm-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Stand-ins for sbatch and scontrol: sbatch keeps its options and script (stdin) and answers the next id.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'sbatch'),
    '#!/bin/sh\nn=$(($(cat "$JOBS/n" 2>/dev/null || echo 0) + 1)); echo $n > "$JOBS/n"\nprintf \'%s\\n\' "$@" > "$JOBS/$n.args"; cat > "$JOBS/$n.sh"\necho "$n;cluster"\n',
  );
  writeFileSync(join(bin, 'scontrol'), '#!/bin/sh\necho "$@" > "$JOBS/release"\n');
  // The node's nbpipe: prints its arguments, one per line.
  writeFileSync(join(bin, 'nbpipe-args'), '#!/bin/sh\nprintf \'%s\\n\' "$@"\n');
  for (const f of readdirSync(bin)) chmodSync(join(bin, f), 0o755);

  it('submits every task with its dependencies, and each job runs its task whatever its name (property)', () => {
    const name = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.startsWith('-') && !/[\n\r\0]/.test(s));
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 4 }), (names) => {
        const root = mkdtempSync(join(dir, 'project with spaces '));
        writeFileSync(join(root, 'pipeline.yaml'), '');
        const jobsDir = join(root, 'jobs');
        mkdirSync(jobsDir);
        // Each task after the one before it.
        const tasks = names.map((n, i) => ({ name: n, upstream: i ? [names[i - 1]!] : [] }));
        const jobs = slurmJobs(tasks, {
          root,
          file: join(root, 'pipeline.yaml'),
          command: 'nbpipe-args',
          pipelineArgs: ['--env=x=a b'],
          defaults: { cpus: 2 },
        });
        const script = slurmSubmitScript(jobs, root, join(root, 'pipeline.yaml'));
        const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, JOBS: jobsDir };
        const submit = spawnSync('sh', ['-c', script], { encoding: 'utf8', env });
        expect(submit.status, submit.stderr).toBe(0);
        expect(submit.stdout).toBe(names.map((n, i) => `${n} ${i + 1}\n`).join(''));
        expect(readFileSync(join(jobsDir, 'release'), 'utf8').trim().split(/\s+/)).toEqual([
          'release',
          ...names.map((_, i) => String(i + 1)),
        ]);
        names.forEach((n, i) => {
          const args = readFileSync(join(jobsDir, `${i + 1}.args`), 'utf8').split('\n');
          expect(args).toContain('--hold');
          expect(args).toContain('--cpus-per-task=2');
          expect(args.filter((a) => a.startsWith('--dependency'))).toEqual(i ? [`--dependency=afterok:${i}`] : []);
          const job = spawnSync('sh', [join(jobsDir, `${i + 1}.sh`)], {
            encoding: 'utf8',
            env: { ...env, SLURM_JOB_ID: '7' },
          });
          expect(job.stdout).toBe(
            [
              'run',
              n,
              '--only',
              '--force',
              '--record-to',
              join(root, '.nbpipe/results/7.json'),
              '--env=x=a b',
              '',
            ].join('\n'),
          );
        });
      }),
      // Backslashes (echo would read \0 as an escape), quotes, expansions, globs, spaces.
      { numRuns: 25, examples: [[['\\0 x', "it's $HOME", '`a` *', 'b\\nc']]] },
    );
  });
});

describe('records of tasks run by Slurm jobs', () => {
  const record = (startedAt: string, status: TaskRecord['status'] = 'ok'): TaskRecord => ({
    status,
    startedAt,
    durationMs: 5,
  });

  it("a job writes only its task's new record; the next store reads it, keeps the later of two, and clears it once saved", async () => {
    const root = mkdtempSync(join(tmpdir(), 'nbpipe-slurm-state-'));
    try {
      const main = new StateStore(root);
      main.data.tasks = { a: record('2026-01-01T00:00:00Z'), b: record('2026-01-03T00:00:00Z') };
      await main.save();

      const job = new StateStore(root);
      const file = join(root, '.nbpipe/results/12.json');
      job.recordTo(file, 'a');
      await job.save(); // the task has not ended: nothing to record
      expect(() => readFileSync(file)).toThrow();
      job.data.tasks.a = record('2026-01-02T00:00:00Z');
      job.data.tasks.b = record('2026-01-04T00:00:00Z'); // not its task
      await job.save();
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ task: 'a', record: record('2026-01-02T00:00:00Z') });
      // An older record of b, left by an earlier job, loses to the state's.
      writeFileSync(
        join(root, '.nbpipe/results/9.json'),
        JSON.stringify({ task: 'b', record: record('2026-01-02T00:00:00Z', 'failed') }),
      );

      const next = new StateStore(root);
      expect(next.data.tasks.a).toEqual(record('2026-01-02T00:00:00Z'));
      expect(next.data.tasks.b).toEqual(record('2026-01-03T00:00:00Z'));
      expect(next.hasCollected).toBe(true);
      await next.save();
      expect(readdirSync(join(root, '.nbpipe/results'))).toEqual([]);
      expect(new StateStore(root).data.tasks.a).toEqual(record('2026-01-02T00:00:00Z'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
