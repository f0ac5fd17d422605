import { describe, expect, it } from 'vitest';
import { parse, sourceText, type CodeCell } from '@nbpipe/nbformat';
import { nbpipe, removeAfterTest, tempRepo } from './helpers.js';

// Large outputs through `nbpipe run`, with a cap small enough to test fast: the notebook
// keeps the head and tail of a stream with a note, every later output, and the task succeeds; lost outputs fail it.

const SOURCE = `# %% tags=["parameters"]
upstream = None
product = None

# %%
import sys
for i in range(2000):
    print(f"line {i:04d}")
sys.stdout.write("x" * 30000 + "\\n")  # one write larger than the cap
print("last line")

# %%
print("after")
`;

function project(executor: string) {
  const repo = tempRepo();
  removeAfterTest(repo.cleanup);
  repo.write('task.py', SOURCE);
  repo.write(
    'pipeline.yaml',
    `executor: ${executor}\ntasks:\n  - source: task.py\n    product: {nb: out/task.ipynb}\n`,
  );
  return repo;
}

// the cap from the environment with one executor, from the configuration with the other
describe.each([
  ['python', 'NBPIPE_MAX_OUTPUT_CHARS'],
  ['jupyter', 'pipeline.maxOutputChars'],
])('a cell printing past the output cap (executor: %s, cap in %s)', (executor, capFrom) => {
  it('keeps its head and tail with a note, and every later output; the task succeeds', () => {
    const repo = project(executor);
    if (capFrom === 'pipeline.maxOutputChars') repo.write('.nbpiperc.yaml', 'pipeline:\n  maxOutputChars: 1000\n');
    const env = capFrom === 'NBPIPE_MAX_OUTPUT_CHARS' ? { NBPIPE_MAX_OUTPUT_CHARS: '1000' } : {};
    const ran = nbpipe(['run'], { cwd: repo.dir, env });
    expect(ran.code, ran.stderr).toBe(0);
    const cells = parse(repo.read('out/task.ipynb')).cells.filter((c): c is CodeCell => c.cell_type === 'code');
    const cell = (code: string) => cells.find((c) => sourceText(c).includes(code))!;
    const [big] = cell('range(2000)').outputs;
    expect(big?.output_type).toBe('stream');
    const text = big!.output_type === 'stream' ? big!.text : '';
    expect(text.startsWith('line 0000\nline 0001\n')).toBe(true);
    expect(text.endsWith('x\nlast line\n')).toBe(true);
    const full = 2000 * 'line 0000\n'.length + 30001 + 'last line\n'.length;
    expect(text).toContain(`[nbpipe: ${(full - 1000).toLocaleString('en-US')} characters of stdout dropped here;`);
    expect(text.length).toBeLessThan(1200);
    expect(cell('"after"').outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'after\n' }]);
  });
});

describe('a cell whose outputs do not all arrive', () => {
  it('fails the task instead of recording a notebook that misses them', () => {
    const repo = project('jupyter');
    // the kernel no longer says when the cell's output ends: what follows could be lost without anyone knowing
    repo.write(
      'task.py',
      SOURCE.replace('import sys', 'import sys\nget_ipython().kernel._publish_status = lambda *args, **kwargs: None'),
    );
    const ran = nbpipe(['run'], { cwd: repo.dir });
    expect(ran.code).toBe(1);
    expect(ran.stderr + ran.stdout).toMatch(
      /outputs lost: cell 3 \(In \[3\]\): the kernel's outputs did not all arrive/,
    );
    expect(nbpipe(['status'], { cwd: repo.dir }).stdout).not.toMatch(/up to date/);
  });
});
