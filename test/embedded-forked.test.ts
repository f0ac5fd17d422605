// End-to-end: the embedded executor (`executor: python`) runs each task in a child forked from a warm parent on
// its interpreter (README "Fresh kernels"), and in a new process with the opt-out.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nbpipe, removeAfterTest, tempRepo } from './helpers.js';

/** What each task's first cell records about the process it runs in. */
const PROBE = `import json, os, sys
parent = open(f"/proc/{os.getppid()}/cmdline").read().split("\\0")
seen = {"task": os.environ.get("NBPIPE_TASK"), "cwd": os.getcwd(), "left_behind": "left_behind" in globals(),
        "forked": any(arg.endswith("nbpipe_zygote.py") for arg in parent), "path0": os.path.basename(sys.path[0])}
left_behind = True
open(product["data"], "w").write(json.dumps(seen))
`;

function project() {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  repo.write(
    'pipeline.yaml',
    'executor: python\ntasks:\n' +
      '  - {source: one.py, product: {nb: out/one.ipynb, data: out/one.json}}\n' +
      '  - {source: two.py, product: {nb: out/two.ipynb, data: out/two.json}, upstream: [one]}\n',
  );
  for (const name of ['one', 'two'])
    repo.write(
      `${name}.py`,
      `# %% tags=["parameters"]\nupstream = None\nproduct = None\n\n# %%\n${PROBE}\n# %%\nprint("from", "${name}")\n"${name}"\n`,
    );
  return repo;
}

describe('the embedded executor', () => {
  it.each([
    ['forked from a warm parent', {}, true],
    ['started for each task with NBPIPE_FORK_KERNELS=0', { NBPIPE_FORK_KERNELS: '0' }, false],
  ])(
    'runs each task in a fresh python process %s',
    (_how, env, forked) => {
      const p = project();
      const r = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env });
      expect(r.code, r.stderr).toBe(0);
      for (const name of ['one', 'two']) {
        expect(JSON.parse(p.read(`out/${name}.json`))).toEqual({
          task: name,
          cwd: p.dir,
          left_behind: false,
          forked,
          path0: 'python',
        });
        const nb = JSON.parse(p.read(`out/${name}.ipynb`)) as { cells: { outputs?: unknown[] }[] };
        expect(nb.cells.at(-1)!.outputs).toEqual([
          { name: 'stdout', output_type: 'stream', text: [`from ${name}\n`] },
          { data: { 'text/plain': [`'${name}'`] }, execution_count: 4, metadata: {}, output_type: 'execute_result' },
        ]);
      }
    },
    60000,
  );

  it('is started as before when its socket cannot be made (a TMPDIR too deep for a Unix socket path)', () => {
    const p = project();
    const deep = join(p.dir, '.tmp', 'd'.repeat(100));
    mkdirSync(deep, { recursive: true });
    const r = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env: { TMPDIR: deep } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(p.read('out/one.json'))).toMatchObject({ task: 'one', forked: false });
  }, 60000);

  it.each([
    ['forked', {}],
    ['started', { NBPIPE_FORK_KERNELS: '0' }],
  ])(
    'reports a driver that dies mid-cell (%s), and the next run is not hurt by it',
    (_how, env) => {
      const p = project();
      p.write('one.py', p.read('one.py').replace('print("from", "one")', 'os._exit(7)'));
      const r = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/python3? exited with code 7 while running one\.py/);
      p.write('one.py', p.read('one.py').replace('os._exit(7)', 'print("from", "one")'));
      const again = nbpipe(['run', '--jobs', '1'], { cwd: p.dir, env });
      expect(again.code, again.stderr).toBe(0);
    },
    60000,
  );
});
