import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  existsSync,
  constants,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { isProcessAlive, writeFileAtomic } from '@nbpipe/git';
import type { SourceAnalysis } from './sources.js';

/** The folder, next to pipeline.yaml, where nbpipe keeps what it knows about past runs. Git-ignored. */
export const STATE_DIR = '.nbpipe';
const STATE_FILE = 'state.json';
const STATE_VERSION = 1;
/**
 * Where a task run by another process without the run lock (a Slurm job, README: "Running on a cluster") leaves its
 * record, one `<job>.json` each (`{"task": name, "record": …}`), for whoever reads the state next.
 */
export const RESULTS_DIR = 'results';

/** What a fingerprint is made of, kept so that `status` can say which part changed. */
export interface FingerprintParts {
  /** Content hash of the source (blob id; for .ipynb, of its inputs only). */
  source: string;
  /** Hash of the resolved params. */
  params: string;
  /** Hash of the rest of the task's definition: kind, executor, source path, product paths. */
  definition: string;
  /** Blob id of every file matched by `inputs`. */
  inputs: Record<string, string>;
  /** Per upstream task: its fingerprint and product hashes at the time this task ran. */
  upstream: Record<string, string>;
}

/** The last run of one task. Written only after the task finished; a failed run records no products. */
export interface TaskRecord {
  status: 'ok' | 'failed';
  fingerprint?: string;
  parts?: FingerprintParts;
  /** Blob id (or `tree:<hash>` for a folder) of each product path, as the run left it. */
  products?: Record<string, string>;
  /** ISO time the run started, its duration in ms, and the commit checked out. */
  startedAt: string;
  durationMs: number;
  head?: string;
  error?: string;
  /** What downstream fingerprints take from this run (see upstreamDigest). */
  digest?: string;
}

export interface StateData {
  version: number;
  tasks: Record<string, TaskRecord>;
  /** Stat cache for files not vouched for by git's index: path (relative to the root) → [blob id, stat stamp]. */
  files: Record<string, [string, string]>;
  /** Source analyses by `kind:blob id:extension`, so unchanged sources are never parsed again. */
  sources: Record<string, SourceAnalysis>;
  /** Tasks running now, or whose run died with them: each one's latest process, so a later run never starts a second copy. */
  running?: Record<string, TaskProcess>;
  /** The commit of the last run of the whole pipeline that ended with nothing failed: `run --changed`'s default base. */
  lastSuccess?: { head?: string; at: string };
}

/** A task's process: its pid, and (on Linux) its start time, which tells it from a later process given the same pid. */
export interface TaskProcess {
  pid: number;
  start?: string;
}

/** Identify a process that runs now (a zombie is not running: it ended and waits to be reaped). */
export function taskProcess(pid: number): TaskProcess {
  const start = procStat(pid)?.[19];
  return start === undefined ? { pid } : { pid, start };
}

/** Whether the process recorded is still running (the same process: a reused pid does not count). */
export function isRunning(recorded: TaskProcess): boolean {
  if (!isProcessAlive(recorded.pid)) return false;
  const stat = procStat(recorded.pid);
  if (stat === undefined) return true;
  return stat[0] !== 'Z' && (recorded.start === undefined || stat[19] === recorded.start);
}

/** The fields of /proc/<pid>/stat after the command name (state first, start time 20th); undefined off Linux. */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function emptyState(): StateData {
  return { version: STATE_VERSION, tasks: {}, files: {}, sources: {} };
}

/** The state file of a project, loaded once; `save()` writes it atomically (concurrent saves coalesce). */
export class StateStore {
  readonly dir: string;
  data: StateData;
  /** Set when the file existed but could not be used (reported as a warning; every task then looks never run). */
  readonly problem?: string;
  private saving: Promise<void> | undefined;
  private again = false;
  /** Result files merged into `data`: removed once state.json holds them. */
  private collected = new Set<string>();
  /** Set by recordTo: this store writes one task's record there instead of state.json. */
  private recording: { file: string; task: string; loaded: TaskRecord | undefined } | undefined;

  constructor(root: string) {
    this.dir = join(root, STATE_DIR);
    let data = emptyState();
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, STATE_FILE), 'utf8')) as unknown;
      const wrong = isObject(parsed) && parsed.version === STATE_VERSION ? stateProblem(parsed) : 'version';
      if (wrong === undefined) data = parsed as unknown as StateData;
      else if (wrong === 'version')
        this.problem = `${join(STATE_DIR, STATE_FILE)}: written by another version of nbpipe; starting afresh`;
      else this.problem = `${join(STATE_DIR, STATE_FILE)}: "${wrong}" is not what nbpipe writes there; starting afresh`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.problem = `${join(STATE_DIR, STATE_FILE)}: unreadable (${(e as Error).message}); starting afresh`;
    }
    this.data = data;
    this.collectResults();
  }

  /**
   * Merge the records other processes left in `results/` (a record replaces the state's when it started later), so the
   * state is true even before a process holding the run lock writes them into state.json. Returns the tasks updated.
   */
  collectResults(): string[] {
    const dir = join(this.dir, RESULTS_DIR);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    const updated: string[] = [];
    for (const file of files) {
      const path = join(dir, file);
      if (this.collected.has(path)) continue;
      let result: unknown;
      try {
        result = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        continue; // removed meanwhile: its record is in state.json
      }
      if (!isObject(result) || !isString(result.task) || !isTaskRecord(result.record)) continue;
      const record = result.record as unknown as TaskRecord;
      const current = this.data.tasks[result.task];
      if (!current || Date.parse(record.startedAt) > Date.parse(current.startedAt)) {
        this.data.tasks[result.task] = record;
        updated.push(result.task);
      }
      this.collected.add(path);
    }
    return updated;
  }

  /** Whether files of `results/` were read (merged, or older than the state's record) that the next save clears. */
  get hasCollected(): boolean {
    return this.collected.size > 0;
  }

  /** Write only `task`'s record, to `file`, once it differs from the record loaded (for a run without the lock). */
  recordTo(file: string, task: string): void {
    this.recording = { file, task, loaded: this.data.tasks[task] };
  }

  ensureDir(): void {
    ensureStateDir(this.dir);
  }

  /** Write the state atomically; calls made while a write is in flight are folded into one more write. */
  save(): Promise<void> {
    if (this.recording) {
      const { file, task, loaded } = this.recording;
      const record = this.data.tasks[task];
      if (!record || record === loaded) return Promise.resolve();
      mkdirSync(dirname(file), { recursive: true });
      return writeFileAtomic(file, JSON.stringify({ task, record }));
    }
    if (this.saving) {
      this.again = true;
      return this.saving;
    }
    this.saving = (async () => {
      try {
        do {
          this.again = false;
          this.ensureDir();
          const written = [...this.collected];
          await writeFileAtomic(join(this.dir, STATE_FILE), JSON.stringify(this.data));
          for (const path of written) {
            rmSync(path, { force: true });
            this.collected.delete(path);
          }
        } while (this.again);
      } finally {
        this.saving = undefined;
      }
    })();
    return this.saving;
  }
}

// The whole state is checked each time it is read (every `status` and `run`: thousands of records, before any
// code is optimised): written out as plain conditions and loops, which cost a fifth of composed closures and
// Object.entries/values arrays (README "nbpipe run and status": planning costs little more than starting Node).
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';

/** An object all of whose values pass `check`. */
function isRecordOf(v: unknown, check: (value: unknown) => boolean): boolean {
  if (!isObject(v)) return false;
  for (const key in v) if (!check(v[key])) return false;
  return true;
}

const isStringRecord = (v: unknown) => isRecordOf(v, isString);

function isFingerprintParts(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.source) &&
    isString(v.params) &&
    isString(v.definition) &&
    isStringRecord(v.inputs) &&
    isStringRecord(v.upstream)
  );
}

function isTaskRecord(v: unknown): boolean {
  return (
    isObject(v) &&
    (v.status === 'ok' || v.status === 'failed') &&
    isOptionalString(v.fingerprint) &&
    (v.parts === undefined || isFingerprintParts(v.parts)) &&
    (v.products === undefined || isStringRecord(v.products)) &&
    isString(v.startedAt) &&
    typeof v.durationMs === 'number' &&
    isOptionalString(v.head) &&
    isOptionalString(v.error) &&
    isOptionalString(v.digest)
  );
}

function isSourceAnalysis(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.contentHash) &&
    (v.upstream === undefined || (Array.isArray(v.upstream) && v.upstream.every(isString))) &&
    isOptionalString(v.upstreamProblem) &&
    (v.line === undefined || typeof v.line === 'number') &&
    (v.namesFormats === undefined || typeof v.namesFormats === 'boolean')
  );
}

/** For each top-level key of the state file, what its value must satisfy. */
const STATE: Record<string, (v: unknown) => boolean> = {
  tasks: (v) => isRecordOf(v, isTaskRecord),
  files: (v) => isRecordOf(v, (f) => Array.isArray(f) && f.length === 2 && isString(f[0]) && isString(f[1])),
  sources: (v) => isRecordOf(v, isSourceAnalysis),
  running: (v) =>
    v === undefined ||
    isRecordOf(v, (r) => isObject(r) && Number.isInteger(r.pid) && (r.pid as number) > 0 && isOptionalString(r.start)),
  lastSuccess: (v) => v === undefined || (isObject(v) && isOptionalString(v.head) && isString(v.at)),
};

/** The first top-level key of a parsed state file whose value is not what nbpipe writes, if any. */
function stateProblem(parsed: Json): string | undefined {
  return Object.entries(STATE).find(([key, check]) => !check(parsed[key]))?.[0];
}

/** Create `.nbpipe/` with a `.gitignore` of `*`, so git never sees it, without touching the project's own .gitignore. */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ignore = join(dir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# nbpipe state: local to this checkout\n*\n');
}

/** A second `nbpipe run` in the same project while one is running. */
export class PipelineLockedError extends Error {
  constructor(readonly pid: number) {
    super(`the pipeline is locked by pid ${pid} (another nbpipe run is in progress)`);
  }
}

/**
 * Take the project's run lock (`.nbpipe/lock`, created exclusively, holding our pid). A lock left by
 * a process that no longer exists (killed, crashed) is taken over. Returns the release function.
 */
export function acquireLock(stateDir: string): () => void {
  ensureStateDir(stateDir);
  const path = join(stateDir, 'lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readText(path), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid))
        throw new PipelineLockedError(pid);
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first: try again
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        if (Number.parseInt(readText(path), 10) === process.pid) unlinkSync(path);
      } catch {
        // already gone
      }
    };
    process.on('exit', release);
    return release;
  }
  throw new Error(`${path}: cannot take the lock`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
