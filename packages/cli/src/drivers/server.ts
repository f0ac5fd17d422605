/**
 * The drivers' resident server. git starts the diff driver and textconv once per file, and starting node costs more
 * than the diff itself (50 changed notebooks: 50 node start-ups). So the command in git config first runs a small
 * Perl client (drivers/driver-client.pl: Perl starts in a few milliseconds and git depends on it) that hands the request to
 * this server over a Unix socket; when no server answers, the client starts one in the background and the command
 * runs the driver in node as before. The server answers only what it can answer exactly as the driver would (a diff of
 * two readable notebooks, a textconv) and declines the rest, which the driver then handles; it exits after a while
 * without requests, when its code on disk changes (an upgrade, a rebuild), or when another server took its socket.
 *
 * Protocol, both ways one frame: a 4-byte big-endian length, then the payload.
 * Request: NUL-separated fields: `nbpipe-drivers/1`, the script the client stands for (drivers/git-drivers.cjs as git
 * config names it), the command, the client's cwd, `1` or `0` (stdout is a terminal), the number of environment
 * entries, the entries (`NAME=value`), then the command's arguments.
 * Reply: `ok\n` followed by what the driver would print, or `decline\n`.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';

const PROTOCOL = 'nbpipe-drivers/1';
/** A server without requests for this long exits: NBPIPE_DRIVER_SERVER_IDLE_SECONDS, else 120 s. */
function idleExitMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.NBPIPE_DRIVER_SERVER_IDLE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 120_000;
}
/** How often a server checks that its socket is still its own and its code unchanged. */
const CHECK_EVERY_MS = 2_000;

/** What tells the servers of two installed copies of nbpipe apart: a hash of `script` (drivers/git-drivers.cjs). */
export function serverKey(script: string): string {
  return createHash('sha256').update(script).digest('hex').slice(0, 16);
}

/**
 * The longest socket path used, in bytes: a Unix socket's path must fit in 108 bytes on Linux and 104 on macOS, and the
 * server first binds `<socket>.<pid>` (see serveDrivers). A longer path would be truncated by the kernel.
 */
const MAX_SOCKET_PATH_BYTES = 90;

/**
 * The socket a server for `script` listens on: `$TMPDIR/nbpipe-<uid>/drivers-<key>.sock`, or, when that path is too long
 * for a socket, `/tmp/nbpipe-<uid>/drivers-<key>-<hash of the first folder>.sock` (one server per TMPDIR still). The
 * client computes the same path from the key it is given (drivers/driver-client.pl): keep the two in step.
 */
export function serverSocketPath(
  script: string,
  env: NodeJS.ProcessEnv = process.env,
): { dir: string; socket: string } {
  const uid = process.getuid?.() ?? 0;
  const base = (env.TMPDIR || '/tmp').replace(/\/+$/, '');
  const dir = `${base}/nbpipe-${uid}`;
  const socket = `${dir}/drivers-${serverKey(script)}.sock`;
  if (Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES) return { dir, socket };
  const shortDir = `/tmp/nbpipe-${uid}`;
  const tmpdirKey = createHash('sha256').update(dir).digest('hex').slice(0, 8);
  return { dir: shortDir, socket: `${shortDir}/drivers-${serverKey(script)}-${tmpdirKey}.sock` };
}

/** The folder must be ours alone: a socket someone else can replace could feed git a forged diff. */
function privateDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  const st = lstatSync(dir);
  return st.isDirectory() && st.uid === (process.getuid?.() ?? st.uid) && (st.mode & 0o077) === 0;
}

/**
 * A hash of the code a server for `script` (drivers/git-drivers.cjs) runs: the script, the bundle it loads and the build
 * stamps of the workspace packages (a `tsc -b` rebuild makes the launcher load dist/ instead of the bundle, and changes
 * its package's stamp). By content, not modification time: a copy or an unpacked archive may keep the old times.
 */
function codeFingerprint(script: string): string {
  const cliDir = resolve(dirname(script), '..');
  const bundle = join(cliDir, 'dist/bundle/git-drivers.cjs');
  const files = [script, bundle];
  try {
    const packages = JSON.parse(readFileSync(join(cliDir, 'dist/bundle/packages.json'), 'utf8')) as string[];
    for (const dir of packages) files.push(join(cliDir, dir, 'tsconfig.tsbuildinfo'));
  } catch {
    // no bundle: its hash below says so
  }
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('missing');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

interface Request {
  script: string;
  command: string;
  cwd: string;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  args: string[];
}

function decodeRequest(payload: Buffer): Request | undefined {
  const fields = payload.toString('utf8').split('\0');
  if (fields[0] !== PROTOCOL || fields.length < 6) return undefined;
  const envCount = Number(fields[5]);
  if (!Number.isInteger(envCount) || envCount < 0 || fields.length < 6 + envCount) return undefined;
  const env: NodeJS.ProcessEnv = {};
  for (const entry of fields.slice(6, 6 + envCount)) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const [, script, command, cwd, stdoutIsTTY] = fields as [string, string, string, string, string];
  return { script, command, cwd, stdoutIsTTY: stdoutIsTTY === '1', env, args: fields.slice(6 + envCount) };
}

function frame(payload: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(payload.length);
  return Buffer.concat([length, payload]);
}

/** What the driver would print for `request`, or undefined when the driver itself must handle it. */
async function answer(request: Request): Promise<Buffer | undefined> {
  if (request.command === 'textconv' && request.args.length === 1) {
    const { textconvFile } = await import('../commands/textconv.js');
    return Buffer.from(await textconvFile(request.args[0]!, request.cwd));
  }
  if (request.command === 'diff-driver') {
    const { parseExternalDiffArgs, externalDiffText, gitWantsColor } = await import('../commands/diff-driver.js');
    const parsed = parseExternalDiffArgs(request.args);
    if (parsed?.kind !== 'diff') return undefined;
    const color = gitWantsColor({ cwd: request.cwd, env: request.env, stdoutIsTTY: request.stdoutIsTTY });
    return Buffer.from(await externalDiffText(parsed, color, request.cwd));
  }
  return undefined;
}

/** Read one frame from `socket`. */
function readFrame(socket: Socket): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) return;
      socket.off('data', onData);
      resolvePromise(buffered.subarray(4, 4 + length));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('the client closed the connection')));
  });
}

/**
 * Serve the drivers of `script` until idle. Returns without serving when the socket folder is not private. The socket
 * is bound under a temporary name and renamed into place, so two servers starting at once never half-replace each
 * other: the last rename wins and the other server, finding its socket gone, exits.
 */
export async function serveDrivers(script: string): Promise<void> {
  const { dir, socket } = serverSocketPath(script);
  if (!privateDirectory(dir)) return;
  const fingerprint = codeFingerprint(script);
  const idleMs = idleExitMs();
  let idleTimer: NodeJS.Timeout | undefined;
  let ours: number | undefined;
  const socketIsOurs = () => ours !== undefined && statSync(socket, { throwIfNoEntry: false })?.ino === ours;
  const shutDown = () => {
    clearInterval(watch);
    clearTimeout(idleTimer);
    if (socketIsOurs()) rmSync(socket, { force: true });
    server.close();
  };
  const resetIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(shutDown, idleMs);
  };
  const server = createServer({ allowHalfOpen: true }, (connection) => {
    resetIdle();
    connection.on('error', () => {});
    readFrame(connection)
      .then(async (payload) => {
        const request = decodeRequest(payload);
        // Checked per request too, so that the first request after an upgrade or a rebuild is declined.
        const stale = codeFingerprint(script) !== fingerprint;
        // A client standing for another script (a copy of nbpipe whose key collides, a config edited by hand) is not ours.
        const reply = request?.script === script && !stale ? await answer(request).catch(() => undefined) : undefined;
        connection.end(frame(reply ? Buffer.concat([Buffer.from('ok\n'), reply]) : Buffer.from('decline\n')));
        if (stale) shutDown();
      })
      .catch(() => connection.destroy());
  });
  const watch = setInterval(() => {
    if (ours !== undefined && (!socketIsOurs() || codeFingerprint(script) !== fingerprint)) shutDown();
  }, CHECK_EVERY_MS);
  const temporary = `${socket}.${process.pid}`;
  // Armed before binding: a server that cannot take its socket still exits rather than listening where no client looks.
  resetIdle();
  try {
    rmSync(temporary, { force: true });
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(temporary, resolveListen);
    });
    renameSync(temporary, socket);
    ours = statSync(socket).ino;
  } catch {
    rmSync(temporary, { force: true });
    shutDown();
    return;
  }
  rmSync(`${socket}.starting`, { force: true });
  await new Promise<void>((resolveClosed) => server.once('close', resolveClosed));
}
