/**
 * Damaged input, through every command that reads a notebook or a pipeline file: random truncations, byte flips,
 * nesting deeper than any reader goes, huge strings. Whatever the damage, a command either accepts the input (a flip
 * inside a string can leave a valid notebook) or exits with its documented status for bad input: one line on stderr
 * naming the file, no stack trace, nothing written, and never a hang. Through the built CLI a few dozen runs per
 * command (each run starts node); through the pure parsers in-process, many more.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textToNotebook, notebookToText, isFormatError } from '@nbpipe/codec';
import {
  MAX_JSON_DEPTH,
  codeCell,
  isNotebookError,
  markdownCell,
  parseNotebook,
  parseWithoutOutputs,
  serialize,
} from '@nbpipe/nbformat';
import { isPipelineError } from '../../packages/pipeline/src/errors.js';
import { parsePipelineSpec } from '../../packages/pipeline/src/spec.js';
import { CLI, removeAfterTest, tempDir } from '../helpers.js';

const NOTEBOOK = serialize({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    jupytext: { formats: 'ipynb,py:percent' },
  },
  cells: [
    markdownCell('# Title\nSome *text*.', { id: 'intro' }),
    codeCell('x = 1.5\nprint(x)', {
      id: 'code',
      execution_count: 3,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: '1.5\n' },
        {
          output_type: 'execute_result',
          execution_count: 3,
          metadata: {},
          data: { 'text/plain': '1.5', 'application/json': { a: [1, 2.0] } },
        },
      ],
    }),
  ],
});
const PIPELINE = 'tasks:\n  - source: task.sh\n    product: out.txt\n    params: {n: 3, name: "{{ who }}"}\n';
const ENV = 'who: world\n';

/** Damage done to a file's bytes. */
type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'nest'; depth: number; objects: boolean }
  | { kind: 'huge'; bytes: number };

const damage = (length: number): fc.Arbitrary<Damage> =>
  fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length - 1) }),
    fc.record({
      kind: fc.constant('flip' as const),
      flips: fc.array(fc.tuple(fc.nat(length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant('nest' as const),
      depth: fc.integer({ min: MAX_JSON_DEPTH + 1, max: 20_000 }),
      objects: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('huge' as const), bytes: fc.integer({ min: 1 << 18, max: 2 << 20 }) }),
  );

/** Where a format's text takes a nested value and a long string (each `at` is found in the undamaged text). */
interface Slots {
  nestAt: string;
  nest: (nested: string) => string;
  hugeAt: string;
  huge: (long: string) => string;
}
const JSON_SLOTS: Slots = {
  nestAt: '"a": [',
  nest: (n) => `"a": [${n}, `,
  hugeAt: '"# Title',
  huge: (x) => `"# Title${x}\n`,
};
const YAML_SLOTS: Slots = { nestAt: '{n: 3,', nest: (n) => `{n: ${n},`, hugeAt: '"{{ who }}"', huge: (x) => `"${x}` };
const HEADER_SLOTS: Slots = {
  nestAt: 'formats: ipynb,py:percent',
  nest: (n) => `formats: ${n}`,
  hugeAt: 'x = 1.5',
  huge: (x) => `x = "${x}`,
};

/** `text` damaged; a raw newline in a JSON string, or an unclosed quote, after megabytes: the error must not quote it all. */
function damaged(text: string, d: Damage, slots: Slots): Buffer {
  const bytes = Buffer.from(text);
  switch (d.kind) {
    case 'truncate':
      return bytes.subarray(0, d.at);
    case 'flip': {
      const out = Buffer.from(bytes);
      for (const [at, mask] of d.flips) out[at]! ^= mask;
      return out;
    }
    case 'nest': {
      const nested = d.objects
        ? '{"a": '.repeat(d.depth) + '1' + '}'.repeat(d.depth)
        : '['.repeat(d.depth) + ']'.repeat(d.depth);
      return Buffer.from(text.replace(slots.nestAt, () => slots.nest(nested)));
    }
    case 'huge':
      return Buffer.from(text.replace(slots.hugeAt, () => slots.huge('x'.repeat(d.bytes))));
  }
}

/** Every file under `dir` with its size and modification time: what a command wrote shows as a difference. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, name));
    out[name] = st.isDirectory() ? 'dir' : `${st.size} ${st.mtimeMs}`;
  }
  return out;
}

interface Case {
  name: string;
  /** The file damaged, and the arguments that read it. */
  file: 'x.ipynb' | 'pipeline.yaml';
  args: string[];
  /** Exit statuses the command documents for input it reads (bad input is 2 everywhere). */
  accepted: number[];
}

const CASES: Case[] = [
  { name: 'validate', file: 'x.ipynb', args: ['validate', 'x.ipynb'], accepted: [0, 1] },
  { name: 'fmt', file: 'x.ipynb', args: ['fmt', 'x.ipynb'], accepted: [0] },
  { name: 'convert', file: 'x.ipynb', args: ['convert', 'x.ipynb', '--to', 'py:percent'], accepted: [0] },
  { name: 'diff', file: 'x.ipynb', args: ['diff', 'good.ipynb', 'x.ipynb'], accepted: [0, 1] },
  {
    name: 'merge',
    file: 'x.ipynb',
    args: ['merge', 'good.ipynb', 'x.ipynb', 'good.ipynb', '-o', 'merged.ipynb'],
    accepted: [0, 1],
  },
  { name: 'strip', file: 'x.ipynb', args: ['strip', 'x.ipynb'], accepted: [0] },
  { name: 'sync', file: 'x.ipynb', args: ['sync', 'x.ipynb'], accepted: [0] },
  { name: 'pair', file: 'x.ipynb', args: ['pair', 'x.ipynb', '--formats', 'ipynb,py:percent'], accepted: [0] },
  { name: 'run -n', file: 'pipeline.yaml', args: ['run', '-n'], accepted: [0] },
  { name: 'status', file: 'pipeline.yaml', args: ['status'], accepted: [0, 1] },
];

const PROJECT_FILES: Record<string, string> = {
  'good.ipynb': NOTEBOOK,
  'x.ipynb': NOTEBOOK,
  'pipeline.yaml': PIPELINE,
  'env.yaml': ENV,
  'task.sh': 'echo "$name" > out.txt\n',
};

/** A folder with PROJECT_FILES and nothing else (what a previous run wrote removed). */
function resetProject(dir: string): void {
  for (const name of readdirSync(dir))
    if (!(name in PROJECT_FILES)) rmSync(join(dir, name), { recursive: true, force: true });
  for (const [name, text] of Object.entries(PROJECT_FILES)) writeFileSync(join(dir, name), text);
}

describe('damaged input through the CLI', () => {
  for (const c of CASES) {
    it(`${c.name}: accepted, or one line naming ${c.file}, exit 2, nothing written`, () => {
      const work = tempDir('nbpipe-fuzz-');
      removeAfterTest(work.cleanup);
      const dir = work.dir;
      const original = c.file === 'x.ipynb' ? NOTEBOOK : PIPELINE;
      fc.assert(
        fc.property(damage(Buffer.byteLength(original)), (d) => {
          resetProject(dir);
          writeFileSync(join(dir, c.file), damaged(original, d, c.file === 'pipeline.yaml' ? YAML_SLOTS : JSON_SLOTS));
          const before = snapshot(dir);
          const r = spawnSync(process.execPath, [CLI, ...c.args], {
            cwd: dir,
            encoding: 'utf8',
            timeout: 30_000,
            maxBuffer: 1 << 26,
            env: { ...process.env, NO_COLOR: '1' },
          });
          const what = `${c.name} after ${JSON.stringify(d).slice(0, 200)}:\n${r.stderr.slice(0, 2000)}`;
          expect(r.signal, what).toBeNull();
          expect(r.stderr, what).not.toMatch(/^\s+at |Maximum call stack|RangeError|TypeError/m);
          if (r.status === 2) {
            expect(r.stderr.split('\n'), what).toEqual([
              expect.stringMatching(new RegExp(`^nbpipe: (.*/)?${c.file.replace('.', '\\.')}\\b`)),
              '',
            ]);
            expect(r.stderr.length, what).toBeLessThan(500);
            expect(snapshot(dir), what).toEqual(before);
          } else {
            expect(c.accepted, what).toContain(r.status);
          }
          // Damage that no reader can accept is always refused.
          if (d.kind === 'nest') expect(r.status, what).toBe(2);
        }),
        { numRuns: 20 },
      );
    }, 300_000);
  }
});

describe('damaged input through the pure parsers', () => {
  const refused = (e: unknown) => isNotebookError(e) || isFormatError(e) || isPipelineError(e);

  it('a notebook: parsed, or refused with a NotebookError naming it', () => {
    fc.assert(
      fc.property(damage(Buffer.byteLength(NOTEBOOK)), (d) => {
        const bytes = damaged(NOTEBOOK, d, JSON_SLOTS);
        for (const read of [
          () => parseNotebook(bytes.toString('utf8'), { path: 'x.ipynb' }),
          () => parseWithoutOutputs(bytes, { path: 'x.ipynb' }),
        ]) {
          let error: unknown;
          try {
            read();
          } catch (e) {
            error = e;
          }
          if (d.kind === 'nest') expect(error).toBeDefined();
          if (error === undefined) continue;
          expect(isNotebookError(error), String(error)).toBe(true);
          expect((error as Error).message.startsWith('x.ipynb: ')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a text notebook and a pipeline file: read, or refused with the readers’ own error', () => {
    const text = notebookToText(parseNotebook(NOTEBOOK).notebook, 'py:percent');
    fc.assert(
      fc.property(damage(Buffer.byteLength(text)), damage(Buffer.byteLength(PIPELINE)), (d, p) => {
        for (const read of [
          () => textToNotebook(damaged(text, d, HEADER_SLOTS).toString('utf8'), 'py:percent'),
          () =>
            parsePipelineSpec(
              {
                file: '/p/pipeline.yaml',
                text: damaged(PIPELINE, p, YAML_SLOTS).toString('utf8'),
                envFile: '/p/env.yaml',
                envText: ENV,
              },
              { cwd: '/p', git: { git: 'main', git_hash: 'abc1234' }, overrides: {} },
            ),
        ]) {
          try {
            read();
          } catch (e) {
            expect(refused(e), String(e).slice(0, 300)).toBe(true);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
