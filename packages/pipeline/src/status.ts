import { sha1 } from './hashing.js';
import { productPaths, type Pipeline, type Task } from './project.js';
import type { FingerprintParts, TaskRecord } from './state.js';

/** Whether a task must run, and why. */
export interface TaskStatus {
  name: string;
  outdated: boolean;
  /** Empty when up to date; else e.g. `never run`, `source changed`, `upstream clean re-ran`, `product missing`. */
  reasons: string[];
  /** What the fingerprint is made of now (the fingerprint itself is `fingerprintOf(parts)`). */
  parts: FingerprintParts;
  record?: TaskRecord;
}

/**
 * What downstream tasks see of an upstream task: the fingerprint it ran with, the products it left,
 * and when it ran — so any re-run of an upstream task makes its downstream outdated (as in Ploomber),
 * even one that produced the same bytes. Stored in the record when it is written.
 */
export function upstreamDigest(record: TaskRecord | undefined): string {
  if (!record || record.status !== 'ok' || !record.fingerprint) return 'not built';
  return (record.digest ??= sha1(record.fingerprint + JSON.stringify(record.products ?? {}) + record.startedAt));
}

/** The parts of a task's fingerprint, as they are now. */
export function fingerprintParts(p: Pipeline, task: Task): FingerprintParts {
  const s = task.spec;
  const inputs: Record<string, string> = {};
  for (const path of p.files.expand(s.inputs)) inputs[path] = p.files.digest(path) ?? 'missing';
  const upstream: Record<string, string> = {};
  for (const name of task.upstream) upstream[name] = upstreamDigest(p.state.data.tasks[name]);
  return { source: task.analysis.contentHash, params: s.paramsHash, definition: s.definitionHash, inputs, upstream };
}

/**
 * A task's fingerprint: a Merkle hash of its source's content hash, its resolved params, its
 * definition, the blob ids of its `inputs`, and what its upstream tasks last produced. The parts
 * are built in a fixed key order, so plain JSON is canonical here.
 */
export function fingerprintOf(parts: FingerprintParts): string {
  return sha1(JSON.stringify(parts));
}

/** The current hash of each product path (undefined: missing), in declaration order. */
export function productDigests(p: Pipeline, task: Task): [path: string, digest: string | undefined][] {
  return productPaths(task.spec.product).map((path) => [path, p.files.digest(path)]);
}

/**
 * Decide whether a task is up to date. `upstreamWillRun` tells which upstream tasks are going to
 * run first (their current records are then stale).
 */
export function evaluateTask(p: Pipeline, task: Task, upstreamWillRun: (name: string) => boolean): TaskStatus {
  const record = p.state.data.tasks[task.name];
  const parts = fingerprintParts(p, task);
  const reasons: string[] = [];
  const pending = task.upstream.filter(upstreamWillRun);
  const pair = task.pair;
  if (pair?.status === 'conflict')
    reasons.push(`paired ${pair.members.join(' and ')} changed differently (settle it with nbpipe sync --prefer)`);
  if (!record) reasons.push('never run');
  else if (record.status !== 'ok' || !record.parts) reasons.push('last run failed');
  else {
    const old = record.parts;
    if (old.source !== parts.source)
      reasons.push(
        pair && pair.from !== task.spec.source ? `source changed (paired ${pair.from} edited)` : 'source changed',
      );
    if (old.params !== parts.params) reasons.push('params changed');
    if (old.definition !== parts.definition) reasons.push('definition changed');
    const inputPaths = Object.keys(parts.inputs);
    for (const path of Object.keys(old.inputs)) if (!(path in parts.inputs)) inputPaths.push(path);
    const changedInputs = inputPaths.filter((path) => old.inputs[path] !== parts.inputs[path]);
    if (changedInputs.length)
      reasons.push(
        `input ${changedInputs.slice(0, 3).join(', ')}${changedInputs.length > 3 ? ` (+${changedInputs.length - 3})` : ''} changed`,
      );
    const oldNames = Object.keys(old.upstream);
    if (oldNames.length !== task.upstream.length || oldNames.some((n) => !(n in parts.upstream)))
      reasons.push('upstream changed');
    for (const name of task.upstream)
      if (name in old.upstream && old.upstream[name] !== parts.upstream[name] && !pending.includes(name))
        reasons.push(`upstream ${name} re-ran`);
    const products = productDigests(p, task);
    if (products.some(([, d]) => d === undefined)) reasons.push('product missing');
    else if (products.some(([path, d]) => record.products?.[path] !== d)) reasons.push('product modified');
  }
  for (const name of pending) reasons.push(`upstream ${name} outdated`);
  return { name: task.name, outdated: reasons.length > 0, reasons, parts, record };
}

/** The status of every task, in topological order. */
export function evaluatePipeline(p: Pipeline): TaskStatus[] {
  const outdated = new Set<string>();
  return p.tasks.map((task) => {
    const status = evaluateTask(p, task, (name) => outdated.has(name));
    if (status.outdated) outdated.add(task.name);
    return status;
  });
}
