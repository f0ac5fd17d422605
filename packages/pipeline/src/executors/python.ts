import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sourceText, type CodeCell, type JsonObject, type Notebook } from '@nbpipe/nbformat';
import {
  injectParameters,
  isKernelError,
  markExecutionError,
  OutputRecorder,
  RAISES_EXCEPTION_TAG,
  removeExecutionErrorMarks,
  SKIP_EXECUTION_TAG,
  hasTag,
  type CellFailure,
  type KernelMessage,
} from '@nbpipe/kernel';
import { readNotebookSource, sourceLanguage } from '../sources.js';
import { maxOutputChars, spawnTaskProcess, stopOnAbort, taskEnvironment, waitForExit } from './process.js';
import { TaskFailure, type Executor, type TaskJob } from './job.js';
import { notebookProduct, notebookWriter } from './notebook-writers.js';

/** The driver that runs cells in one `python3` process (shipped next to dist/, standard library only). */
export const DRIVER = fileURLToPath(new URL('../../python/nbpipe_driver.py', import.meta.url));

/** The interpreter: $NBPIPE_PYTHON, else `python3` on PATH. */
export function pythonCommand(): string {
  return process.env.NBPIPE_PYTHON || 'python3';
}

/** The source as a notebook ready to run: injected parameters, no old outputs. */
export async function prepareNotebook(
  job: Pick<TaskJob, 'source' | 'product' | 'upstream' | 'params' | 'label'>,
): Promise<Notebook> {
  const nb = removeExecutionErrorMarks(
    await readNotebookSource(job.label(job.source), readFileSync(job.source, 'utf8')),
  );
  const language = sourceLanguage(job.source, nb);
  if (language !== 'python')
    throw new TaskFailure(
      `${job.label(job.source)}: the embedded executor runs Python only, this is ${language}: install a Jupyter kernel for it`,
    );
  for (const cell of nb.cells)
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  const values: Record<string, unknown> = {};
  if (Object.keys(job.upstream).length) values.upstream = job.upstream;
  values.product = job.product;
  Object.assign(values, job.params);
  try {
    return injectParameters(nb, values, { language: 'python' }).notebook;
  } catch (e) {
    if (isKernelError(e)) throw new TaskFailure(e.message);
    throw e;
  }
}

/** The longest path of a Unix socket that every POSIX system nbpipe runs on accepts. */
const UNIX_SOCKET_PATH_BYTES = 103;

/** The driver's process: where its requests go, where its messages come from, how it ended. */
interface Driver {
  requests: Writable;
  messages: Readable;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}

/** The environment of the driver: the task's variables, and UTF-8 standard streams. */
function driverEnvironment(job: TaskJob): Record<string, string> {
  return { ...taskEnvironment(job), PYTHONIOENCODING: 'utf-8' };
}

/** The driver as a new `python3` process, talking on its fds 3 and 4. */
function spawnDriver(job: TaskJob, log: Writable): Driver {
  const child = spawnTaskProcess(
    pythonCommand(),
    ['-u', DRIVER],
    {
      cwd: job.root,
      env: { ...process.env, ...driverEnvironment(job) },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    },
    job,
  );
  // The driver captures fds 1 and 2 for the cells; what still reaches these pipes is the
  // driver's own failure (a crash, a fatal interpreter error): keep it in the log.
  for (const fd of [1, 2]) (child.stdio[fd] as Readable).pipe(log, { end: false });
  return {
    requests: child.stdio[3] as Writable,
    messages: child.stdio[4] as Readable,
    exited: waitForExit(child).catch((e: Error) => ({ code: null, signal: null, error: e })),
  };
}

/**
 * The driver in a child of the run's warm parent on the same interpreter (README "Fresh kernels"), talking over a
 * Unix socket that becomes its fds 3 and 4; its own failures go straight to the log. Undefined when the run has
 * no warm parent for it: the caller spawns the driver then.
 */
async function forkDriver(job: TaskJob): Promise<Driver | undefined> {
  if (!job.kernels) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-driver-'));
  const socket = join(dir, 'driver.sock');
  const server = createServer();
  try {
    // A Unix socket's path has at most 103 bytes on macOS, 107 on Linux (where Node shortens a longer one, Python
    // refuses it): with a deeper TMPDIR, or when listening fails, the driver is spawned.
    if (Buffer.byteLength(socket) > UNIX_SOCKET_PATH_BYTES) return undefined;
    const listening = await new Promise<boolean>((resolveListen) => {
      server.once('error', () => resolveListen(false));
      server.listen(socket, () => resolveListen(true));
    });
    if (!listening) return undefined;
    const connected = new Promise<Socket>((resolveConnection) => server.once('connection', resolveConnection));
    const child = await job.kernels.runPlainPython(pythonCommand(), {
      // the driver's folder first on sys.path, as when `python3 DRIVER` runs it
      code: `import runpy, sys\nsys.path[0] = ${JSON.stringify(dirname(DRIVER))}\nrunpy.run_path(${JSON.stringify(DRIVER)}, run_name="__main__")`,
      stdin: '/dev/null',
      socket,
      cwd: job.root,
      env: driverEnvironment(job),
      output: job.log,
    });
    if (!child) return undefined;
    job.started?.(child.pid);
    const exited = stopOnAbort(job.signal, child.pid, child.exited);
    const connection = await Promise.race([connected, exited.then(() => undefined)]);
    // a driver that died before it connected: its end, and its output in the log, say why
    const ended = new PassThrough();
    ended.end();
    return { requests: connection ?? new PassThrough(), messages: connection ?? ended, exited };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface DriverMessage {
  msg_type: string;
  content: JsonObject;
}

/**
 * Runs a python notebook or script cell by cell in one `python3` process with nbpipe's driver:
 * no Jupyter needed. Outputs are recorded as Jupyter records them (streams merged, the last
 * expression's repr as execute_result, tracebacks as errors) and the executed notebook is written
 * to the `nb` product — also when a cell fails, with the failure marked.
 */
export const pythonExecutor: Executor = {
  async run(job) {
    const nb = await prepareNotebook(job);
    const maxStreamChars = maxOutputChars(job);
    nb.metadata.kernelspec ??= { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' };
    // appended to: a forked driver writes its own failures to the same file
    const log = createWriteStream(job.log, { flags: 'a' });
    const driver = (await forkDriver(job)) ?? spawnDriver(job, log);
    const { requests, exited } = driver;
    requests.on('error', () => {}); // the driver died: reported by its exit
    const messages = createInterface({ input: driver.messages, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const recorder = new OutputRecorder({ recordTiming: false, maxStreamChars });
    let current: CodeCell | undefined;
    const record = (msg: DriverMessage) => {
      if (!current) return;
      recorder.handle(current, {
        header: { msg_type: msg.msg_type },
        content: msg.content,
      } as unknown as KernelMessage);
      if (msg.msg_type === 'stream') {
        log.write(String(msg.content.text));
        if (job.spec.logOutput) process.stderr.write(String(msg.content.text));
      }
      if (msg.msg_type === 'error') log.write((msg.content.traceback as string[]).join('\n') + '\n');
    };
    const next = async (): Promise<DriverMessage | undefined> => {
      const { value, done } = await messages.next();
      return done ? undefined : (JSON.parse(value) as DriverMessage);
    };

    let failure: CellFailure | undefined;
    let driverGone = false;
    try {
      const ready = await next();
      if (ready?.msg_type !== 'ready') driverGone = true;
      else nb.metadata.language_info = ready.content.language_info as Notebook['metadata']['language_info'];
      let count = 0;
      for (const [cellIndex, cell] of nb.cells.entries()) {
        if (
          driverGone ||
          cell.cell_type !== 'code' ||
          sourceText(cell).trim() === '' ||
          hasTag(cell, SKIP_EXECUTION_TAG)
        )
          continue;
        current = cell;
        recorder.begin(cell);
        cell.execution_count = ++count;
        requests.write(JSON.stringify({ code: sourceText(cell), cell: cellIndex + 1, execution_count: count }) + '\n');
        let status: string | undefined;
        for (let msg = await next(); msg; msg = await next()) {
          if (msg.msg_type === 'done') {
            status = String(msg.content.status);
            break;
          }
          record(msg);
        }
        if (status === undefined) {
          driverGone = true;
          break;
        }
        if (status === 'error' && !hasTag(cell, RAISES_EXCEPTION_TAG)) {
          const error = cell.outputs.find((o) => o.output_type === 'error');
          const ename = error?.output_type === 'error' ? error.ename : 'Error';
          const evalue = error?.output_type === 'error' ? error.evalue : '';
          failure = {
            kind: 'error',
            cellIndex,
            executionCount: count,
            ename,
            evalue,
            traceback: error?.output_type === 'error' ? error.traceback : [],
            message: `cell ${cellIndex + 1} (In [${count}]) raised ${ename}${evalue ? `: ${evalue}` : ''}`,
          };
          break;
        }
      }
    } finally {
      requests.end();
    }
    const exit = await exited;
    const slow = await job.kernels?.plainProblem(pythonCommand());
    if (slow)
      job.notice?.(
        `the embedded executor starts ${pythonCommand()} for each task, not forked from a warm parent: ${slow}`,
      );
    current = undefined;
    await new Promise<void>((resolveClose) => log.end(resolveClose));
    if (job.signal.aborted) throw new TaskFailure('interrupted');

    const nbPath = notebookProduct(job.product);
    if (nbPath)
      await notebookWriter(nbPath)!(failure ? markExecutionError(nb, failure) : nb, nbPath, job.spec.exportOptions);
    if (failure) throw new TaskFailure(`${job.label(job.source)}: ${failure.message}`, failure.traceback.join('\n'));
    if (exit.error)
      throw new TaskFailure(
        `cannot run ${pythonCommand()}: ${exit.error.message} (set NBPIPE_PYTHON to choose the interpreter)`,
      );
    if (driverGone || exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new TaskFailure(
        `${pythonCommand()} ${how} while running ${job.label(job.source)}`,
        readFileSync(job.log, 'utf8').slice(-4000),
      );
    }
  },
};
