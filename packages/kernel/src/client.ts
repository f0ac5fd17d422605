import type { JsonObject, Output } from '@nbpipe/nbformat';
import type { Dealer, Request, Subscriber, Socket } from 'zeromq';
import { KernelError } from './errors.js';
import type { JupyterKernelSpec } from './kernelspec.js';
import { describeExit, KernelProcess, type KernelLauncher, type LaunchOptions, type RunningKernel } from './launch.js';
import { OutputRecorder, type OutputArea } from './outputs.js';
import { Session, type KernelMessage } from './wire.js';

export interface KernelStartOptions extends LaunchOptions {
  /** How long the kernel may take to answer kernel_info with IOPub connected (default 60 s, as nbclient). */
  startupTimeoutMs?: number;
  /** Heartbeat period; the kernel is declared dead after `heartbeatMisses` unanswered pings in a row (default 1 s × 5). */
  heartbeatIntervalMs?: number;
  heartbeatMisses?: number;
  /** How the kernel process starts (default: KernelProcess.launch; a KernelFactory forks fresh Python kernels from a warm parent). */
  launcher?: KernelLauncher;
}

export interface ExecuteOptions {
  /** Where outputs go (a notebook cell); a fresh area by default. Its outputs are replaced. */
  area?: OutputArea;
  /** Recorder shared across a notebook so `update_display_data` reaches earlier cells. */
  recorder?: OutputRecorder;
  /** Interrupt the kernel and fail with a TIMEOUT error when the code runs longer (default: no limit). */
  timeoutMs?: number;
  /** After an interrupt (timeout, abort or `interrupt()`), how long the kernel has to finish the request before it fails with TIMEOUT (default 5 s). */
  interruptGraceMs?: number;
  /**
   * Ask the kernel to abort requests queued behind this one if it fails (default false). Only useful
   * with several requests in flight: ipykernel also aborts a request that arrives just after the
   * error reply, so a caller that awaits each result would see its next request spuriously aborted.
   */
  stopOnError?: boolean;
  storeHistory?: boolean;
  /** Called with each output as it is added; a stream message as a stream output of just its text. */
  onOutput?: (output: Output) => void;
  /** Aborting interrupts the kernel and fails the call with a CLOSED error. */
  signal?: AbortSignal;
}

export interface ExecuteResult {
  /** The kernel's `execute_reply` status. */
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  outputs: Output[];
  /** For `status: 'error'`: the exception, as in the reply. */
  error?: { ename: string; evalue: string; traceback: string[] };
  /** The full `execute_reply` content. */
  reply: JsonObject;
}

type Channel = 'shell' | 'control';
type ZeroMQ = typeof import('zeromq');
type Waiter = { resolve: (msg: KernelMessage) => void };

/** After execute_reply, how long to wait for the IOPub `idle` that ends the output (nbclient's iopub_timeout). */
const IOPUB_GRACE_MS = 4000;
const SHUTDOWN_GRACE_MS = 5000;

/**
 * A client for one kernel process over ZeroMQ: shell, control and stdin DEALERs sharing one
 * identity, an IOPub SUBSCRIBER and a heartbeat REQ. Messages are routed to their request by
 * `parent_header.msg_id`. If the process exits or stops answering heartbeats, every pending and
 * later call fails with a DIED error instead of waiting.
 */
export class KernelClient {
  /** `kernel_info_reply` content (protocol_version, implementation, language_info, …). */
  kernelInfo: JsonObject = {};
  private readonly session: Session;
  private readonly shell: Dealer;
  private readonly control: Dealer;
  private readonly stdin: Dealer;
  private readonly iopub: Subscriber;
  private heartbeat: Request | undefined;
  private readonly replies = new Map<string, Waiter>();
  private readonly iopubRoutes = new Map<string, (msg: KernelMessage) => void>();
  private readonly failureListeners = new Set<(e: KernelError) => void>();
  private readonly interruptListeners = new Set<() => void>();
  private readonly iopubConnected: Promise<true>;
  private markIopubConnected!: () => void;
  private failure: KernelError | undefined;
  private closing: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Output the process wrote before it was ready (banners, warnings) does not explain a later death. */
  private outputMarkAtReady = 0;

  private constructor(
    readonly spec: JupyterKernelSpec,
    private readonly process: RunningKernel,
    private readonly options: KernelStartOptions,
    private readonly zmq: ZeroMQ,
  ) {
    this.session = new Session(process.connection.key);
    const identity = this.session.id;
    this.shell = new zmq.Dealer({ routingId: identity, linger: 0 });
    this.control = new zmq.Dealer({ routingId: identity, linger: 0 });
    this.stdin = new zmq.Dealer({ routingId: identity, linger: 0 });
    // no high-water mark: while we are busy, ZeroMQ would otherwise drop outputs beyond 1000 queued messages
    this.iopub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
    this.iopub.subscribe();
    const { ip, shell_port, control_port, stdin_port, iopub_port } = process.connection;
    this.shell.connect(`tcp://${ip}:${shell_port}`);
    this.control.connect(`tcp://${ip}:${control_port}`);
    this.stdin.connect(`tcp://${ip}:${stdin_port}`);
    this.iopub.connect(`tcp://${ip}:${iopub_port}`);
    void this.pump(this.shell, (msg) => this.settleReply(msg));
    void this.pump(this.control, (msg) => this.settleReply(msg));
    void this.pump(this.stdin, (msg) => this.answerInput(msg));
    this.iopubConnected = new Promise((resolve) => (this.markIopubConnected = () => resolve(true)));
    void this.pump(this.iopub, (msg) => {
      this.markIopubConnected();
      const parent = msg.parent_header.msg_id;
      if (parent !== undefined) this.iopubRoutes.get(parent)?.(msg);
    });
    void process.exited.then((status) => {
      if (this.closing) return;
      const what = process.spawnError
        ? `kernel "${spec.name}" ${spawnProblem(spec, process.spawnError)}`
        : `kernel "${spec.name}" (pid ${process.pid}) ${describeExit(status)}`;
      const output = process.outputSince(this.outputMarkAtReady);
      this.fail(new KernelError('DIED', `${what}${lastLine(output)}`, output));
    });
  }

  /** Launch `spec` and connect; resolves once the kernel answers kernel_info and IOPub is delivering. */
  static async start(spec: JupyterKernelSpec, options: KernelStartOptions = {}): Promise<KernelClient> {
    // loaded on first use: importing this package for its pure functions (parameters, outputs) stays cheap
    const zmq = await import('zeromq');
    for (let attempt = 1; ; attempt++) {
      const client = new KernelClient(
        spec,
        await (options.launcher ?? KernelProcess.launch)(spec, options),
        options,
        zmq,
      );
      try {
        await client.waitForReady(options.startupTimeoutMs ?? 60_000);
        client.outputMarkAtReady = client.process.outputMark;
        client.startHeartbeat();
        return client;
      } catch (e) {
        // Read before shutting down: a forked kernel's output file goes with its runtime directory.
        const outputTail = client.process.outputTail;
        await client.shutdown({ graceMs: 0 });
        // another process may have taken one of the free ports between our probe and the kernel's bind
        if (attempt < 3 && /address already in use/i.test(outputTail)) continue;
        if (!(e instanceof KernelError && (e.code === 'DIED' || e.code === 'TIMEOUT'))) throw e;
        const { spawnError, exitStatus } = client.process;
        const why = spawnError
          ? spawnProblem(spec, spawnError)
          : e.code === 'DIED'
            ? `the kernel process ${describeExit(exitStatus)}${lastLine(outputTail)}`
            : e.message;
        throw new KernelError('START_FAILED', `cannot start kernel "${spec.name}": ${why}`, outputTail);
      }
    }
  }

  get pid(): number {
    return this.process.pid;
  }

  /** The kernel's language_info (goes into the notebook's metadata). */
  get languageInfo(): JsonObject | undefined {
    const info = this.kernelInfo.language_info;
    return typeof info === 'object' && info !== null && !Array.isArray(info) ? (info as JsonObject) : undefined;
  }

  /** The error that ended this kernel (death, shutdown), if any. */
  get error(): KernelError | undefined {
    return this.failure;
  }

  /** Run `code`; resolves with the reply and outputs, rejects with TIMEOUT, DIED or CLOSED. */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    if (this.failure) throw this.failure;
    const area = options.area ?? { outputs: [], execution_count: null, metadata: {} };
    const recorder = options.recorder ?? new OutputRecorder();
    const request = this.session.message('execute_request', {
      code,
      silent: false,
      store_history: options.storeHistory ?? true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: options.stopOnError ?? false,
    });
    const id = request.header.msg_id;
    let markIdle!: () => void;
    const idle = new Promise<void>((resolve) => (markIdle = resolve));
    let lastIopubMessage = Date.now();
    recorder.begin(area);
    this.iopubRoutes.set(id, (msg) => {
      lastIopubMessage = Date.now();
      const output = recorder.handle(area, msg);
      if (output) options.onOutput?.(output);
      if (msg.header.msg_type === 'status' && msg.content.execution_state === 'idle') markIdle();
    });
    const replied = this.expectReply(id);
    const finished = (async () => {
      const reply = await replied;
      recorder.timestamp(area, 'shell.execute_reply', reply);
      // IOPub may still be delivering a backlog of outputs: wait while it does; silence without the `idle`
      // that ends them means outputs were lost, and a notebook missing some must not pass for a complete one
      for (;;) {
        let grace: NodeJS.Timeout | undefined;
        const wait = Math.max(1, lastIopubMessage + IOPUB_GRACE_MS - Date.now());
        const ended = await Promise.race([
          idle.then(() => true),
          new Promise<false>((resolve) => (grace = setTimeout(() => resolve(false), wait))),
        ]);
        clearTimeout(grace);
        if (ended) return reply;
        if (Date.now() - lastIopubMessage >= IOPUB_GRACE_MS)
          throw new KernelError(
            'OUTPUT_LOST',
            `the kernel's outputs did not all arrive (no end of output within ${formatSeconds(IOPUB_GRACE_MS)} s of the reply)`,
          );
      }
    })();
    finished.catch(() => {}); // when an abort or timeout wins the race below, nobody else awaits it
    let stop: (reason: KernelError) => void = () => {};
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    const onAbort = () => {
      void this.interrupt().catch(() => {});
      stop(new KernelError('CLOSED', 'execution aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // ipykernel can lose the reply when a second SIGINT lands while it finishes a request: after any
    // interrupt, give the request a bounded time to end rather than waiting on a live but wedged kernel
    const grace = options.interruptGraceMs ?? 5000;
    let graceTimer: NodeJS.Timeout | undefined;
    const onInterrupt = () => {
      graceTimer ??= setTimeout(
        () =>
          stop(
            new KernelError(
              'TIMEOUT',
              `the kernel did not finish the request within ${formatSeconds(grace)} s of an interrupt`,
            ),
          ),
        grace,
      );
    };
    this.interruptListeners.add(onInterrupt);
    try {
      if (options.signal?.aborted) throw new KernelError('CLOSED', 'execution aborted');
      await this.send(this.shell, request);
      const reply = await this.guard(Promise.race([finished, stopped]), options.timeoutMs, async () => {
        await this.interrupt();
        const settled = await this.guard(
          finished.then(() => true),
          grace,
          () => false,
        );
        const limit = `${formatSeconds(options.timeoutMs!)} s`;
        throw new KernelError(
          'TIMEOUT',
          settled
            ? `execution timed out after ${limit}; the kernel was interrupted`
            : `execution timed out after ${limit}; the kernel did not respond to an interrupt within ${formatSeconds(grace)} s`,
        );
      });
      const content = reply.content;
      const status = content.status === 'error' || content.status === 'aborted' ? content.status : 'ok';
      const result: ExecuteResult = {
        status,
        executionCount: typeof content.execution_count === 'number' ? content.execution_count : area.execution_count,
        outputs: area.outputs,
        reply: content,
      };
      if (status === 'error') {
        result.error = {
          ename: String(content.ename ?? ''),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        };
      }
      return result;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.interruptListeners.delete(onInterrupt);
      clearTimeout(graceTimer);
      this.iopubRoutes.delete(id);
      this.replies.delete(id);
    }
  }

  /** Send a request on shell or control and wait for its reply (e.g. `complete_request`, `is_complete_request`). */
  async request(channel: Channel, msgType: string, content: JsonObject, timeoutMs = 30_000): Promise<KernelMessage> {
    if (this.failure) throw this.failure;
    const request = this.session.message(msgType, content);
    const reply = this.expectReply(request.header.msg_id);
    try {
      await this.send(channel === 'shell' ? this.shell : this.control, request);
      return await this.guard(reply, timeoutMs, () => {
        throw new KernelError('TIMEOUT', `no reply to ${msgType} within ${formatSeconds(timeoutMs)} s`);
      });
    } finally {
      this.replies.delete(request.header.msg_id);
    }
  }

  /** Interrupt the running code: SIGINT to the process group, or `interrupt_request` on control for `interrupt_mode: message`. */
  async interrupt(): Promise<void> {
    if (this.failure) return;
    if (this.spec.interruptMode === 'message') {
      await this.send(this.control, this.session.message('interrupt_request', {}));
    } else {
      this.process.signal('SIGINT');
    }
    for (const listener of this.interruptListeners) listener();
  }

  /**
   * Ask the kernel to shut down (`shutdown_request` on control), give it `graceMs` to exit, then
   * kill its process group; close the sockets and remove the connection file. Safe to call twice.
   */
  shutdown(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      this.stopHeartbeat();
      const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
      if (this.process.alive && graceMs > 0 && !this.failure) {
        await Promise.race([
          this.send(this.control, this.session.message('shutdown_request', { restart: false })).catch(() => {}),
          delay(graceMs),
        ]);
        await Promise.race([this.process.exited, delay(graceMs)]);
      }
      if (this.process.alive) {
        this.process.signal('SIGKILL');
        await this.process.exited;
      }
      this.fail(new KernelError('CLOSED', `kernel "${this.spec.name}" was shut down`));
      for (const socket of [this.shell, this.control, this.stdin, this.iopub, this.heartbeat]) socket?.close();
      this.process.removeConnectionFile();
    })();
    return this.closing;
  }

  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const timedOut = () =>
      new KernelError(
        'TIMEOUT',
        `no answer to kernel_info within ${formatSeconds(timeoutMs)} s${lastLine(this.process.outputTail)}`,
        this.process.outputTail,
      );
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw timedOut();
      // kernel_info is retried until the kernel answers with IOPub connected: a SUB socket misses what
      // is published before its subscription reaches the kernel (the slow-joiner race)
      const request = this.session.message('kernel_info_request', {});
      const reply = this.expectReply(request.header.msg_id);
      await this.send(this.shell, request);
      const answer = await this.guard(reply, Math.min(1000, left), () => undefined);
      this.replies.delete(request.header.msg_id);
      if (!answer) continue;
      this.kernelInfo = answer.content;
      if (await this.guard(this.iopubConnected, Math.min(250, Math.max(1, deadline - Date.now())), () => false)) return;
    }
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatIntervalMs ?? 1000;
    const maxMisses = this.options.heartbeatMisses ?? 5;
    const address = `tcp://${this.process.connection.ip}:${this.process.connection.hb_port}`;
    let misses = 0;
    const beat = async () => {
      if (this.failure || this.closing) return;
      this.heartbeat ??= (() => {
        const socket = new this.zmq.Request({ linger: 0, receiveTimeout: interval, sendTimeout: interval });
        socket.connect(address);
        return socket;
      })();
      try {
        await this.heartbeat.send('ping');
        await this.heartbeat.receive();
        misses = 0;
      } catch {
        if (this.failure || this.closing) return;
        // a REQ socket that missed its reply cannot send again: start over with a new one
        this.heartbeat.close();
        this.heartbeat = undefined;
        if (++misses >= maxMisses) {
          this.fail(
            new KernelError(
              'DIED',
              `kernel "${this.spec.name}" (pid ${this.pid}) stopped answering heartbeats for ${formatSeconds(misses * interval * 2)} s`,
            ),
          );
          this.process.signal('SIGKILL');
          return;
        }
      }
      this.heartbeatTimer = setTimeout(() => void beat(), interval);
      this.heartbeatTimer.unref();
    };
    this.heartbeatTimer = setTimeout(() => void beat(), interval);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
  }

  private expectReply(msgId: string): Promise<KernelMessage> {
    return new Promise((resolve) => this.replies.set(msgId, { resolve }));
  }

  private settleReply(msg: KernelMessage): void {
    const id = msg.parent_header.msg_id;
    if (id === undefined) return;
    const waiter = this.replies.get(id);
    if (!waiter) return;
    this.replies.delete(id);
    waiter.resolve(msg);
  }

  /** Batch mode: we send `allow_stdin: false`; a kernel that asks anyway gets an empty answer rather than hanging. */
  private answerInput(msg: KernelMessage): void {
    if (msg.header.msg_type !== 'input_request') return;
    void this.send(this.stdin, this.session.message('input_reply', { value: '' }, msg.header)).catch(() => {});
  }

  private sendQueues = new Map<Socket, Promise<void>>();

  /** zeromq allows one pending send per socket: queue them. */
  private send(socket: Dealer, msg: KernelMessage): Promise<void> {
    const frames = this.session.encode(msg);
    const previous = this.sendQueues.get(socket) ?? Promise.resolve();
    const next = previous.then(() => socket.send(frames));
    this.sendQueues.set(
      socket,
      next.catch(() => {}),
    );
    return next;
  }

  private async pump(socket: Dealer | Subscriber, handle: (msg: KernelMessage) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        const msg = this.session.decode(frames);
        if (msg) handle(msg);
      }
    } catch {
      // the socket was closed
    }
  }

  /** Race `promise` against kernel failure and an optional timeout whose value (or error) `onTimeout` decides. */
  private guard<T, U = never>(
    promise: Promise<T>,
    timeoutMs: number | undefined,
    onTimeout?: () => U | Promise<U>,
  ): Promise<T | U> {
    return new Promise<T | U>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      const done = () => {
        clearTimeout(timer);
        this.failureListeners.delete(onFailure);
      };
      const onFailure = (e: KernelError) => {
        done();
        reject(e);
      };
      this.failureListeners.add(onFailure);
      if (timeoutMs !== undefined && onTimeout) {
        timer = setTimeout(() => {
          timedOut = true;
          this.failureListeners.delete(onFailure);
          void (async () => onTimeout())().then(resolve, reject);
        }, timeoutMs);
      }
      // once timed out, onTimeout decides the outcome even if the promise settles meanwhile
      promise.then(
        (value) => {
          if (timedOut) return;
          done();
          resolve(value);
        },
        (e: unknown) => {
          if (timedOut) return;
          done();
          reject(e);
        },
      );
    });
  }

  private fail(error: KernelError): void {
    if (this.failure) return;
    this.failure = error;
    this.stopHeartbeat();
    for (const listener of [...this.failureListeners]) listener(error);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function spawnProblem(spec: JupyterKernelSpec, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return `cannot run ${spec.argv[0]}${code ? ` (${code})` : `: ${error.message}`}`;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function lastLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
  return line ? ` (${line})` : '';
}
