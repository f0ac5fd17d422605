import { randomBytes } from 'node:crypto';
import { promises as fs, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The temporary file of a write in progress: `.<name>.nbpipe-<pid>-<random>.tmp`, beside the file written. */
const TEMPORARY_NAME = /^\..*\.nbpipe-(\d+)-[0-9a-f]{8}\.tmp$/s;

/**
 * Write a file atomically: a temp file in the same directory, fsync, then rename over the target.
 * The target's permissions are kept; on any error the temp file is removed and the target untouched.
 * Errors name the target, never the temp file.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  await removeLeftovers(dir);
  const tmp = join(dir, `.${basename(path)}.nbpipe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let mode = options.mode;
  if (mode === undefined) {
    try {
      mode = (await fs.stat(path)).mode & 0o7777;
    } catch {
      mode = undefined;
    }
  }
  try {
    const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode ?? 0o666);
    try {
      try {
        await handle.writeFile(data);
        if (mode !== undefined) await handle.chmod(mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  } catch (e) {
    throw namingTarget(e, tmp, path);
  }
}

/** An error about the temporary file, told about the file being written: the temporary name means nothing to the user. */
function namingTarget(e: unknown, tmp: string, path: string): unknown {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (!err || typeof err !== 'object') return e;
  if (err.path === tmp) err.path = path;
  if (err.dest === path) delete err.dest;
  if (typeof err.message === 'string') err.message = err.message.replaceAll(` -> '${path}'`, '').replaceAll(tmp, path);
  return e;
}

/** Folders this process has already cleared of leftovers. */
const cleared = new Set<string>();

/**
 * Remove the temporary files left in `dir` by writes whose process died mid-write: a process killed with SIGKILL (a
 * merge driver stopped by its GUI, say) runs no clean-up of its own. Once per folder and process; a file whose
 * process is still running is left alone.
 */
async function removeLeftovers(dir: string): Promise<void> {
  if (cleared.has(dir)) return;
  cleared.add(dir);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(TEMPORARY_NAME.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid)) await fs.rm(join(dir, name), { force: true });
  }
}

/** Whether a process with this id exists (signal 0 checks without sending anything; EPERM: it runs as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
