// End-to-end: the kernel client against a real kernel (Debian's python3-ipykernel).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  codeCell,
  emptyNotebook,
  markdownCell,
  parse,
  serialize,
  type CodeCell,
  type ExecuteResultOutput,
  type Notebook,
} from '@nbpipe/nbformat';
import {
  executeNotebook,
  findKernelSpec,
  KernelClient,
  KernelError,
  KernelFactory,
  markExecutionError,
  type JupyterKernelSpec,
} from '@nbpipe/kernel';
import { SYSTEM_PYTHON, tempDir } from '@nbpipe/test-support';

const temp = tempDir('nbpipe-kernel-e2e-');
const dataDirs = [join(temp.dir, 'jupyter')];

/** A kernelspec in our temporary Jupyter data dir, so tests depend on nothing installed globally but ipykernel. */
function installSpec(name: string, spec: object): JupyterKernelSpec {
  const dir = join(dataDirs[0]!, 'kernels', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec));
  return findKernelSpec(name, { dataDirs });
}
const ipykernel = (extra: object = {}) => ({
  argv: [SYSTEM_PYTHON, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  display_name: 'Python (test)',
  language: 'python',
  env: { PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  ...extra,
});
const python = installSpec('py-test', ipykernel());

function notebook(
  cells: Notebook['cells'],
  metadata: Notebook['metadata'] = {
    kernelspec: { name: 'py-test', display_name: 'Python (test)', language: 'python' },
  },
): Notebook {
  return { ...emptyNotebook(metadata), cells: cells.map((c, i) => ({ ...c, id: `cell${i}` })) };
}
const code = (source: string, tags?: string[]) => codeCell(source, tags ? { metadata: { tags } } : {});
const texts = (cell: CodeCell) =>
  cell.outputs.map((o) =>
    o.output_type === 'stream'
      ? o.text
      : o.output_type === 'error'
        ? o.ename
        : (o.data['text/plain'] ?? o.data['text/markdown']),
  );
const once = (f: () => void) => {
  let called = false;
  return () => {
    if (!called) f();
    called = true;
  };
};
/** A traceback without its ANSI colours. */
const plain = (traceback: string[]) => traceback.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
const timer = () => {
  const start = Date.now();
  return () => Date.now() - start;
};

// Every test runs on kernels forked from a warm parent where the kernelspec allows it (README "Fresh kernels");
// NBPIPE_FORK_KERNELS=0 runs them all on launched kernels, as `nbpipe run` does then.
const kernels = new KernelFactory({ fork: process.env.NBPIPE_FORK_KERNELS !== '0' });
const launcher = kernels.launch;

afterAll(async () => {
  await kernels.close();
  temp.cleanup();
});

describe('executeNotebook on python3-ipykernel', () => {
  const cells = [
    markdownCell('# Title'),
    // flushes make the chunking deterministic: 'a' alone, then 'b\nc\n', then stderr
    code(
      "import sys, time\nprint('a')\nsys.stdout.flush()\ntime.sleep(0.3)\nprint('b')\nprint('c')\nsys.stdout.flush()\nprint('err', file=sys.stderr)",
    ),
    code(
      "from IPython.display import display, HTML, Markdown, JSON, clear_output, Image\ndisplay(HTML('<b>hi</b>'))\n{'x': 1.0}",
    ),
    code("h = display(Markdown('first'), display_id=True)\nprint('between')"),
    code("h.update(Markdown('second'))\nNone"),
    code('for i in range(3):\n    clear_output(wait=True)\n    print(i)'),
    code('   \n'),
    code(
      "import base64\nImage(data=base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='))",
    ),
    code("JSON({'a': [1, 2.0, None]})"),
    code("print('progress 10%\\rprogress 100%')\n1/0"),
    code("print('never')"),
  ];

  it('records outputs as Jupyter does and stops at the first error', async () => {
    const run = await executeNotebook(notebook(cells), { dataDirs, launcher });
    const nb = run.notebook;
    const at = (i: number) => nb.cells[i] as CodeCell;
    // streams: consecutive chunks merged even when flushed apart; stderr separate
    expect(at(1).outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\nb\nc\n' },
      { output_type: 'stream', name: 'stderr', text: 'err\n' },
    ]);
    expect(at(2).outputs).toEqual([
      {
        output_type: 'display_data',
        data: { 'text/html': '<b>hi</b>', 'text/plain': '<IPython.core.display.HTML object>' },
        metadata: {},
      },
      { output_type: 'execute_result', execution_count: 2, data: { 'text/plain': "{'x': 1.0}" }, metadata: {} },
    ]);
    // update_display_data rewrote the earlier cell's output; it adds nothing where it ran
    expect(texts(at(3))).toEqual(['<IPython.core.display.Markdown object>', 'between\n']);
    expect((at(3).outputs[0] as { data: object }).data).toMatchObject({ 'text/markdown': 'second' });
    expect(at(4).outputs).toEqual([]);
    expect(at(5).outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '2\n' }]);
    // the blank cell is skipped and does not count
    expect([at(6).execution_count, at(6).outputs]).toEqual([null, []]);
    expect(at(7).execution_count).toBe(6);
    expect(at(7).outputs[0]).toMatchObject({
      output_type: 'execute_result',
      execution_count: 6,
      data: { 'image/png': expect.stringMatching(/^iVBOR/) },
    });
    const json = serialize(nb);
    expect(json).toContain('"application/json": {\n       "a": [\n        1,\n        2.0,\n        null');
    // the error: traceback recorded in the cell, the run stops, the next cell is untouched
    expect(texts(at(9))).toEqual(['progress 100%\n', 'ZeroDivisionError']);
    expect(run.error).toMatchObject({
      kind: 'error',
      cellIndex: 9,
      executionCount: 8,
      ename: 'ZeroDivisionError',
      evalue: 'division by zero',
    });
    expect(run.error!.message).toBe('cell 10 (In [8]) raised ZeroDivisionError: division by zero');
    expect(plain(run.error!.traceback)).toContain('----> 2 1/0');
    expect([at(10).execution_count, at(10).outputs]).toEqual([null, []]);
    // notebook metadata from the kernel, nbclient's timing metadata on executed cells
    expect(nb.metadata.language_info).toMatchObject({ name: 'python', file_extension: '.py' });
    expect(Object.keys(at(1).metadata.execution as object).sort()).toEqual([
      'iopub.execute_input',
      'iopub.status.busy',
      'iopub.status.idle',
      'shell.execute_reply',
    ]);
    expect(at(10).metadata).toEqual({});
    // the executed notebook is valid and serializes as Jupyter would re-read it
    expect(parse(json)).toEqual(parse(serialize(parse(json))));
  });

  const hasNbclient = spawnSync(SYSTEM_PYTHON, ['-c', 'import nbclient'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasNbclient)(
    'matches what nbclient records (streams coalesced as Jupyter front ends do; timestamps aside)',
    async () => {
      const input = join(temp.dir, 'oracle-in.ipynb');
      const output = join(temp.dir, 'oracle-out.ipynb');
      const nb = notebook(cells);
      writeFileSync(input, serialize(nb));
      const oracle = spawnSync(
        SYSTEM_PYTHON,
        [
          '-c',
          `import sys, re, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.read(sys.argv[1], as_version=4)
try:
    NotebookClient(nb, kernel_name='py-test').execute()
except CellExecutionError:
    pass
# Jupyter front ends (and nbclient >= 0.10 with coalesce_streams) merge consecutive stream chunks
for cell in nb.cells:
    merged = []
    for out in cell.get('outputs', []):
        if out.output_type == 'stream' and merged and merged[-1].output_type == 'stream' and merged[-1].name == out.name:
            merged[-1].text += out.text
        else:
            merged.append(out)
    for out in merged:
        if out.output_type == 'stream':
            out.text = re.sub(r'.*\\r(?=[^\\n])', '', out.text)
    if cell.cell_type == 'code':
        cell.outputs = merged
nbformat.write(nb, sys.argv[2])`,
          input,
          output,
        ],
        { encoding: 'utf8', env: { ...process.env, JUPYTER_PATH: dataDirs[0] } },
      );
      expect(oracle.status, oracle.stderr).toBe(0);
      const withoutTimes = (text: string) => text.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"');
      const ours = await executeNotebook(nb, { dataDirs, launcher });
      expect(withoutTimes(serialize(ours.notebook))).toBe(withoutTimes(readFileSync(output, 'utf8')));
    },
  );

  it('injects parameters after the parameters cell, in the kernel language, and records the kernel', async () => {
    const nb = notebook(
      [
        code('product = None\nscale = 1', ['parameters']),
        code('print(product, scale * 2)\nimport os\nprint(os.getcwd())'),
      ],
      { kernelspec: { name: 'something-else', display_name: 'X', language: 'python' } },
    );
    const cwd = join(temp.dir, 'work dir');
    mkdirSync(cwd);
    const run = await executeNotebook(nb, {
      dataDirs,
      launcher,
      cwd,
      parameters: { product: "it's/out.ipynb", scale: 21 },
      recordTiming: false,
    });
    expect(run.error).toBeUndefined();
    expect(run.injection).toEqual({ index: 1, placement: 'after-parameters' });
    expect(run.notebook.cells[1]).toMatchObject({
      source: '# Parameters\nproduct = "it\'s/out.ipynb"\nscale = 21\n',
      metadata: { tags: ['injected-parameters'] },
      execution_count: 2,
    });
    expect(texts(run.notebook.cells[2] as CodeCell)).toEqual([`it's/out.ipynb 42\n${cwd}\n`]);
    expect(run.notebook.metadata.kernelspec).toEqual({
      name: 'py-test',
      display_name: 'Python (test)',
      language: 'python',
    });
    expect(run.kernelSpec.name).toBe('py-test');
    expect((run.notebook.cells[0] as CodeCell).metadata).toEqual({ tags: ['parameters'] });
    // the input is untouched
    expect(nb.cells).toHaveLength(2);
  });

  it('lets a cell tagged raises-exception fail and goes on; marks a real failure for readers', async () => {
    const run = await executeNotebook(
      notebook([code('raise ValueError("expected")', ['raises-exception']), code('x = 1'), code('x +')]),
      {
        dataDirs,
        launcher,
      },
    );
    expect(texts(run.notebook.cells[0] as CodeCell)).toEqual(['ValueError']);
    expect(run.error).toMatchObject({ kind: 'error', cellIndex: 2, ename: 'SyntaxError' });
    const marked = markExecutionError(run.notebook, run.error!);
    expect(marked.cells.map((c) => c.cell_type)).toEqual(['markdown', 'code', 'code', 'markdown', 'code']);
    expect(marked.cells[0]!.source).toContain(
      'Execution failed at <a href="#nbpipe-error-cell">cell 3 (In [3])</a>: SyntaxError',
    );
    // re-running a marked notebook drops the old marks
    const again = await executeNotebook(marked, { dataDirs, launcher, allowErrors: true });
    expect(again.notebook.cells).toHaveLength(3);
    expect(again.error).toBeUndefined();
  });

  it('interrupts a cell that runs past its timeout and reports where it was', async () => {
    const elapsed = timer();
    const events: string[] = [];
    const run = await executeNotebook(
      notebook([code('x = 1'), code('import time\nwhile True:\n    time.sleep(0.05)'), code('print(x)')]),
      {
        dataDirs,
        cellTimeoutMs: 1000,
        onCell: (e) => events.push(`${e.phase}:${e.cellIndex}${e.failed ? ':failed' : ''}`),
      },
    );
    expect(elapsed()).toBeLessThan(15_000);
    expect(run.error).toMatchObject({ kind: 'timeout', cellIndex: 1, ename: 'CellTimeoutError' });
    expect(run.error!.message).toBe('cell 2 (In [2]): execution timed out after 1 s; the kernel was interrupted');
    expect(plain(run.error!.traceback)).toContain('KeyboardInterrupt');
    expect(texts(run.notebook.cells[1] as CodeCell)).toEqual(['KeyboardInterrupt']);
    expect(events).toEqual(['start:0', 'end:0', 'start:1', 'end:1:failed']);
  });

  it('gives up on a kernel that ignores the interrupt after the grace period', async () => {
    const elapsed = timer();
    const run = await executeNotebook(
      notebook([code('import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(30)')]),
      {
        dataDirs,
        cellTimeoutMs: 500,
        interruptGraceMs: 500,
        shutdownGraceMs: 500,
      },
    );
    expect(run.error).toMatchObject({
      kind: 'timeout',
      message:
        'cell 1 (In [1]): execution timed out after 0.5 s; the kernel did not respond to an interrupt within 0.5 s',
    });
    expect(elapsed()).toBeLessThan(8000);
  });

  it('reports a kernel killed mid-cell as a dead kernel, without hanging', async () => {
    const kernel = await KernelClient.start(python, { launcher });
    try {
      const elapsed = timer();
      const run = await executeNotebook(notebook([code("print('started', flush=True)\nimport time\ntime.sleep(60)")]), {
        kernel,
        onOutput: () => process.kill(kernel.pid, 'SIGKILL'),
      });
      expect(elapsed()).toBeLessThan(10_000);
      expect(run.error).toMatchObject({ kind: 'died', cellIndex: 0, ename: 'DeadKernelError' });
      expect(run.error!.message).toMatch(/^cell 1 \(In \[1\]\): kernel "py-test" \(pid \d+\) was killed by SIGKILL$/);
      expect(texts(run.notebook.cells[0] as CodeCell)).toEqual(['started\n']);
      await expect(kernel.execute('1')).rejects.toMatchObject({ code: 'DIED' });
    } finally {
      await kernel.shutdown();
    }
  });

  it('reports a kernel process that exits by itself', async () => {
    // without PYDEVD_DISABLE_FILE_VALIDATION the kernel prints debugger warnings at start-up: not the cause of death
    installSpec('py-noisy', ipykernel({ env: {} }));
    const run = await executeNotebook(notebook([code('import os\nos._exit(3)'), code('1')]), {
      dataDirs,
      launcher,
      kernelName: 'py-noisy',
    });
    expect(run.error).toMatchObject({ kind: 'died', cellIndex: 0 });
    // os._exit can beat ipykernel's iopub thread, so the execute_input carrying "In [1]" may never arrive
    expect(run.error!.message).toMatch(/^cell 1( \(In \[1\]\))?: kernel "py-noisy" \(pid \d+\) exited with code 3$/);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const run = await executeNotebook(notebook([code('import time\ntime.sleep(30)')]), {
      dataDirs,
      onCell: (e) => e.phase === 'start' && setTimeout(() => controller.abort(), 200),
      signal: controller.signal,
    });
    expect(run.error).toMatchObject({ kind: 'aborted', message: 'cell 1 (In [1]): execution aborted' });
  });
});

describe('a kernel for another language', () => {
  // a minimal wrapper kernel (ipykernel's Kernel base class, not IPython): nothing Python-specific on our side
  const echoKernel = `from ipykernel.kernelbase import Kernel
from ipykernel.kernelapp import IPKernelApp

class EchoKernel(Kernel):
    implementation = 'echo'
    implementation_version = language_version = '1.0'
    language = 'echo'
    language_info = {'name': 'echo', 'mimetype': 'text/plain', 'file_extension': '.echo'}
    banner = 'echo'

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False):
        if code.strip() == 'fail':
            error = {'ename': 'EchoError', 'evalue': 'asked to fail', 'traceback': ['EchoError: asked to fail']}
            self.send_response(self.iopub_socket, 'error', error)
            return {'status': 'error', 'execution_count': self.execution_count, **error}
        self.send_response(self.iopub_socket, 'stream', {'name': 'stdout', 'text': code.upper()})
        self.send_response(self.iopub_socket, 'execute_result', {'execution_count': self.execution_count, 'data': {'text/plain': str(len(code))}, 'metadata': {}})
        return {'status': 'ok', 'execution_count': self.execution_count, 'payload': [], 'user_expressions': {}}

IPKernelApp.launch_instance(kernel_class=EchoKernel)
`;

  it('is chosen by the notebook language and runs like any other', async () => {
    const script = join(temp.dir, 'echo_kernel.py');
    writeFileSync(script, echoKernel);
    installSpec('echo', {
      argv: [SYSTEM_PYTHON, script, '-f', '{connection_file}'],
      display_name: 'Echo',
      language: 'echo',
    });
    const nb = notebook([code('hello'), code('fail'), code('never')], { language_info: { name: 'echo' } });
    const run = await executeNotebook(nb, { dataDirs, launcher });
    expect(run.kernelSpec.name).toBe('echo');
    expect(run.notebook.metadata).toMatchObject({
      kernelspec: { name: 'echo', language: 'echo' },
      language_info: { name: 'echo', file_extension: '.echo' },
    });
    expect((run.notebook.cells[0] as CodeCell).outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'HELLO' },
      { output_type: 'execute_result', execution_count: 1, data: { 'text/plain': '5' }, metadata: {} },
    ]);
    expect(run.error).toMatchObject({
      kind: 'error',
      cellIndex: 1,
      ename: 'EchoError',
      traceback: ['EchoError: asked to fail'],
    });
    await expect(executeNotebook(nb, { dataDirs, launcher, parameters: { a: 1 } })).rejects.toThrow(
      'cannot write parameters in "echo"',
    );
  });
});

describe('KernelClient', () => {
  let kernel: KernelClient;
  beforeAll(async () => {
    kernel = await KernelClient.start(python, { launcher });
  });
  afterAll(() => kernel?.shutdown());

  it('answers kernel_info and runs code, counting executions', async () => {
    expect(kernel.kernelInfo).toMatchObject({ implementation: 'ipython', language_info: { name: 'python' } });
    const first = await kernel.execute('21 * 2');
    expect(first).toMatchObject({
      status: 'ok',
      outputs: [{ output_type: 'execute_result', data: { 'text/plain': '42' } }],
    });
    const second = await kernel.execute('y = 1');
    expect(second.executionCount).toBe(first.executionCount! + 1);
    expect(second.outputs).toEqual([]);
  });

  it('returns errors with the traceback', async () => {
    const r = await kernel.execute('def f():\n    raise KeyError("k")\nf()');
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ ename: 'KeyError', evalue: "'k'" });
    expect(plain(r.error!.traceback)).toContain('----> 3 f()');
    expect(r.outputs).toEqual([{ output_type: 'error', ...r.error }]);
  });

  it('interrupts running code with SIGINT and stays usable', async () => {
    // interrupt once the code is surely running (a SIGINT before that would hit the kernel's event loop)
    // (and only once: a second SIGINT while ipykernel finishes the request can leave it without a reply)
    const r = await kernel.execute("import time\nprint('running', flush=True)\ntime.sleep(30)", {
      onOutput: once(() => void kernel.interrupt()),
    });
    expect(r).toMatchObject({ status: 'error', error: { ename: 'KeyboardInterrupt' } });
    expect((await kernel.execute('1 + 1')).outputs).toMatchObject([{ data: { 'text/plain': '2' } }]);
  });

  it('does not wait forever when repeated interrupts make ipykernel lose the reply', async () => {
    const elapsed = timer();
    const outcome = await kernel
      .execute("import time\nprint('running', flush=True)\ntime.sleep(30)", {
        interruptGraceMs: 1000,
        onOutput: () => void kernel.interrupt(),
      })
      .then(
        (r) => r.error?.ename,
        (e: KernelError) => e.message,
      );
    expect(outcome).toMatch(/^(KeyboardInterrupt|the kernel did not finish the request within 1 s of an interrupt)$/);
    expect(elapsed()).toBeLessThan(10_000);
    expect((await kernel.execute('1 + 1')).outputs).toMatchObject([{ data: { 'text/plain': '2' } }]);
  });

  it('answers other requests on shell', async () => {
    const reply = await kernel.request('shell', 'is_complete_request', { code: 'for x in y:' });
    expect(reply.content).toMatchObject({ status: 'incomplete' });
  });
});

describe('kernel lifecycle', () => {
  it('interrupts through the control channel for interrupt_mode "message"', async () => {
    const spec = installSpec('py-message', ipykernel({ interrupt_mode: 'message' }));
    const kernel = await KernelClient.start(spec, { launcher });
    try {
      const r = await kernel.execute("import time\nprint('running', flush=True)\ntime.sleep(30)", {
        onOutput: once(() => void kernel.interrupt()),
      });
      expect(r).toMatchObject({ status: 'error', error: { ename: 'KeyboardInterrupt' } });
    } finally {
      await kernel.shutdown();
    }
  });

  it('declares a kernel that stops answering heartbeats dead', async () => {
    const kernel = await KernelClient.start(python, { launcher, heartbeatIntervalMs: 200, heartbeatMisses: 3 });
    try {
      const running = kernel.execute('import time\ntime.sleep(30)');
      process.kill(kernel.pid, 'SIGSTOP');
      const elapsed = timer();
      await expect(running).rejects.toThrow(/stopped answering heartbeats/);
      expect(elapsed()).toBeLessThan(10_000);
    } finally {
      await kernel.shutdown();
    }
    expect(() => process.kill(kernel.pid, 0)).toThrow();
  });

  it('shuts down cleanly: the process and its connection file are gone', async () => {
    const kernel = await KernelClient.start(python, { launcher });
    const file = (await kernel.execute('from ipykernel.connect import get_connection_file\nget_connection_file()'))
      .outputs[0];
    const connectionFile = JSON.parse(String((file as ExecuteResultOutput).data['text/plain']).replace(/^'|'$/g, '"'));
    expect(JSON.parse(readFileSync(connectionFile, 'utf8'))).toMatchObject({
      ip: '127.0.0.1',
      signature_scheme: 'hmac-sha256',
      transport: 'tcp',
    });
    const elapsed = timer();
    await kernel.shutdown();
    expect(elapsed()).toBeLessThan(5000);
    expect(() => process.kill(kernel.pid, 0)).toThrow();
    expect(() => readFileSync(connectionFile)).toThrow();
    await expect(kernel.execute('1')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('explains a kernel that cannot start', async () => {
    const failing = installSpec('py-fails', {
      argv: [SYSTEM_PYTHON, '-c', 'import sys; sys.stderr.write("boom\\n"); sys.exit(3)', '{connection_file}'],
      display_name: 'F',
      language: 'python',
    });
    await expect(KernelClient.start(failing, { launcher })).rejects.toMatchObject({
      code: 'START_FAILED',
      message: 'cannot start kernel "py-fails": the kernel process exited with code 3 (boom)',
    });
    const missing = installSpec('py-missing', {
      argv: ['/nonexistent/python', '{connection_file}'],
      display_name: 'M',
      language: 'python',
    });
    await expect(KernelClient.start(missing, { launcher })).rejects.toThrow(
      'cannot start kernel "py-missing": cannot run /nonexistent/python (ENOENT)',
    );
    const silent = installSpec('py-silent', {
      argv: [SYSTEM_PYTHON, '-c', 'import time; time.sleep(30)', '{connection_file}'],
      display_name: 'S',
      language: 'python',
    });
    const elapsed = timer();
    await expect(KernelClient.start(silent, { launcher, startupTimeoutMs: 1500 })).rejects.toThrow(
      /cannot start kernel "py-silent": no answer to kernel_info within 1.5 s/,
    );
    expect(elapsed()).toBeLessThan(10_000);
  });

  it('fails with the installed kernels listed when none matches', async () => {
    await expect(
      executeNotebook(notebook([code('1')], { kernelspec: { name: 'ir', display_name: 'R', language: 'R' } }), {
        dataDirs,
        launcher,
      }),
    ).rejects.toThrow(KernelError);
  });
});
