import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '@nbpipe/git';
import { sha1 } from './hashing.js';
import { callPython } from './executors/python-call.js';
import { TaskFailure, type TaskJob } from './executors/job.js';
import { productPaths, type Pipeline, type Task } from './project.js';
import type { TaskRecord } from './state.js';

/**
 * Ploomber's File clients (`clients: {File: module.factory}`): the factory returns a storage client
 * (LocalStorageClient, S3Client, GCloudStorageClient, or one of the user's with the same `upload(path)`
 * and `download(path, destination)` methods), called on the Python kernel's interpreter. After a task
 * runs, its products are uploaded with a record of the task's fingerprint and product hashes. Before
 * an outdated task runs, a remote copy whose record has the fingerprint the task has now is downloaded
 * instead, and used only if its files hash as recorded. (README: Ploomber keys.)
 */

/** The record uploaded beside a task's products: what they were produced from, and their hashes. */
interface RemoteRecord {
  task: string;
  fingerprint: string;
  products: Record<string, string>;
  /** When the run that made them started: part of what downstream tasks see (upstreamDigest), so it travels too. */
  startedAt: string;
}

/** Where a task's record lives in the project (and so in the client's mirror of it). */
function recordPath(p: Pipeline, task: Task): string {
  return join(p.state.dir, 'clients', `${sha1(task.name).slice(0, 16)}.json`);
}

async function callClient(p: Pipeline, job: TaskJob, methods: [string, ...unknown[]][], what: string): Promise<void> {
  const factory = p.spec.fileClient!;
  await callPython(
    job,
    { function: factory.function, kwargs: factory.kwargs, select: false, methods },
    `clients.File ${factory.function}: ${what}`,
  );
}

/** Upload a task's products, then its record (so a record never names products the mirror lacks). */
export async function uploadProducts(
  p: Pipeline,
  task: Task,
  job: TaskJob,
  { fingerprint, products, startedAt }: TaskRecord,
): Promise<void> {
  const record = recordPath(p, task);
  mkdirSync(dirname(record), { recursive: true });
  await writeFileAtomic(
    record,
    JSON.stringify({
      task: task.name,
      fingerprint: fingerprint!,
      products: products!,
      startedAt,
    } satisfies RemoteRecord),
  );
  const uploads = productPaths(task.spec.product).map((path): [string, string] => ['upload', resolve(p.root, path)]);
  await callClient(p, job, [...uploads, ['upload', record]], 'upload');
}

/**
 * Bring a task's products from the client when its remote record has `fingerprint`; returns when the
 * run that made them started, once they are in place (undefined: the task must run). Files are downloaded beside their destination and renamed into place only when all
 * of them hash as recorded, so a stale or partial remote copy changes nothing.
 */
export async function downloadProducts(
  p: Pipeline,
  task: Task,
  job: TaskJob,
  fingerprint: string,
): Promise<string | undefined> {
  // One folder per task: tasks download at the same time.
  const scratch = join(p.state.dir, 'clients', `download-${sha1(task.name).slice(0, 16)}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const record = recordPath(p, task);
    const fetchedRecord = join(scratch, 'record.json');
    try {
      await callClient(p, job, [['download', record, fetchedRecord]], 'download');
    } catch (e) {
      if (e instanceof TaskFailure) return undefined; // no remote copy (or none reachable): the task runs
      throw e;
    }
    const remote = JSON.parse(readFileSync(fetchedRecord, 'utf8')) as RemoteRecord;
    if (remote.fingerprint !== fingerprint) return undefined;
    const paths = productPaths(task.spec.product);
    const temporary = (path: string) => join(scratch, 'products', relative(p.root, resolve(p.root, path)));
    for (const path of paths) mkdirSync(dirname(temporary(path)), { recursive: true });
    await callClient(
      p,
      job,
      paths.map((path): [string, string, string] => ['download', resolve(p.root, path), temporary(path)]),
      'download',
    );
    // Checked before anything local is replaced: a remote copy that is not what its record says changes nothing.
    const scratchPaths = paths.map((path) => relative(p.root, temporary(path)));
    const fetched = scratchPaths.map((path) => p.files.digest(path));
    p.files.forget(scratchPaths);
    if (!paths.every((path, i) => fetched[i] !== undefined && fetched[i] === remote.products[path])) return undefined;
    for (const path of paths) {
      rmSync(resolve(p.root, path), { recursive: true, force: true });
      renameSync(temporary(path), resolve(p.root, path));
    }
    p.files.forget(paths);
    return remote.startedAt;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
