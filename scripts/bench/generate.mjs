#!/usr/bin/env node
/**
 * Deterministic generator of realistic Jupyter notebooks, for benchmarks.
 *
 * Stable API (other benchmarks import it; keep these signatures):
 *
 *   generateNotebook(seed, { targetBytes = 50_000 } = {}) → Notebook
 *       An nbformat 4.5 notebook (the @nbpipe/nbformat model) whose canonical serialization is about
 *       `targetBytes` long (within 2 KB or 2%, whichever is larger). Same seed and size → same notebook.
 *       Markdown and code cells; stream (stdout/stderr), execute_result (text/plain + text/html
 *       tables), display_data (real base64 PNG images) and error (ANSI traceback) outputs; execution
 *       timing metadata, tags, kernelspec and language_info.
 *
 *   generateNotebookText(seed, { targetBytes }) → string   the same, serialized as Jupyter would.
 *
 *   corpusSizes({ count = 200, seed = 1 } = {}) → number[]
 *       Target sizes of the corpus: 95% log-uniform between 10 KB and 200 KB, 5% between 1 and 5 MB.
 *
 *   generateCorpus(dir, { count = 200, seed = 1 } = {}) → { files: string[], totalBytes: number }
 *       Writes `nb-000.ipynb`… into `dir` (created if needed), through @nbpipe/nbformat's serializer,
 *       so every file is canonical (`nbpipe fmt` leaves it unchanged).
 *
 *   benchCorpus({ count = 200, seed = 1 } = {}) → { dir, files, totalBytes }
 *       THE benchmark corpus ("200-notebook generated corpus"): generateCorpus(dir, { count: 200, seed: 1 })
 *       in a cache folder under the OS temp dir, generated once and reused by later runs.
 *
 *   benchNotebook(targetBytes = 20 * 2 ** 20, seed = 1) → path
 *       One cached notebook of the given size (default: the 20 MB notebook of the benchmarks).
 *
 * CLI:  node scripts/bench/generate.mjs OUTDIR [--count 200] [--seed 1]
 *       node scripts/bench/generate.mjs OUTFILE.ipynb --size 20000000 [--seed 1]
 *
 * Needs the built @nbpipe/nbformat (`npm run build`).
 */
import { deflateSync } from 'node:zlib';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serialize } from '@nbpipe/nbformat';

/** Bump when the generated content changes, so cached corpora are regenerated. */
const GENERATOR_VERSION = 2;

// ---------------------------------------------------------------- randomness

/** A seeded PRNG (sfc32): deterministic across platforms and Node versions. */
function createRandom(seed) {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 + seed * 7919;
  let c = 0xb7e15162 ^ (seed << 7);
  let d = 1;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let k = 0; k < 12; k++) next();
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** Log-uniform between lo and hi. */
    logUniform: (lo, hi) => Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo))),
    hex: (n) => {
      let s = '';
      while (s.length < n)
        s += Math.floor(next() * 4294967296)
          .toString(16)
          .padStart(8, '0');
      return s.slice(0, n);
    },
    float: (lo, hi, digits = 4) => (lo + next() * (hi - lo)).toFixed(digits),
  };
  return rng;
}

// ---------------------------------------------------------------- content pools

const WORDS = (
  'data model training loss accuracy feature column value mean variance sample batch epoch result ' +
  'figure plot table frame series index group filter merge pipeline notebook kernel output input cell ' +
  'analysis experiment baseline metric score validation test split random seed weight gradient layer ' +
  'distribution estimate error residual regression classifier cluster signal noise trend season'
).split(' ');
const NAMES = [
  'df',
  'data',
  'model',
  'X',
  'y',
  'result',
  'scores',
  'params',
  'features',
  'labels',
  'history',
  'ax',
  'fig',
];
const INTERNATIONAL = ['café', 'naïve', 'Überblick', 'données', '数据分析', 'μ = 0', 'σ²', '📈', 'résumé', 'Ωmega'];

function sentence(rng, words = rng.int(6, 18)) {
  const out = [];
  for (let k = 0; k < words; k++) out.push(rng.chance(0.03) ? rng.pick(INTERNATIONAL) : rng.pick(WORDS));
  const s = out.join(' ');
  return s[0].toUpperCase() + s.slice(1) + '.';
}

function markdownSource(rng) {
  const parts = [];
  if (rng.chance(0.6)) parts.push(`${'#'.repeat(rng.int(1, 3))} ${sentence(rng, rng.int(2, 5)).slice(0, -1)}`);
  const blocks = rng.int(1, 4);
  for (let k = 0; k < blocks; k++) {
    const kind = rng.next();
    if (kind < 0.5) parts.push(Array.from({ length: rng.int(1, 4) }, () => sentence(rng)).join(' '));
    else if (kind < 0.7)
      parts.push(Array.from({ length: rng.int(2, 5) }, () => `- ${sentence(rng, rng.int(3, 8))}`).join('\n'));
    else if (kind < 0.8) parts.push(`$$\n\\hat{y} = \\sum_{i=1}^{${rng.int(2, 99)}} w_i x_i + b\n$$`);
    else if (kind < 0.9)
      parts.push(
        `See [the ${rng.pick(WORDS)} docs](https://example.org/${rng.pick(WORDS)}/${rng.hex(6)}) for *details* and **caveats**.`,
      );
    else
      parts.push(
        `| ${rng.pick(WORDS)} | ${rng.pick(WORDS)} |\n|---|---|\n| ${rng.float(0, 1)} | ${rng.float(0, 100, 2)} |`,
      );
  }
  return parts.join('\n\n');
}

const CODE_BLOCKS = [
  (rng) => `import ${rng.pick(['numpy as np', 'pandas as pd', 'matplotlib.pyplot as plt', 'json', 'os', 're'])}`,
  (rng) => `${rng.pick(NAMES)} = pd.read_csv("${rng.pick(WORDS)}_${rng.int(1, 99)}.csv")`,
  (rng) =>
    `${rng.pick(NAMES)}.groupby("${rng.pick(WORDS)}")["${rng.pick(WORDS)}"].${rng.pick(['mean', 'sum', 'count', 'std'])}()`,
  (rng) =>
    `def ${rng.pick(WORDS)}_${rng.pick(WORDS)}(${rng.pick(NAMES)}, n=${rng.int(1, 100)}):\n` +
    `    """${sentence(rng, 6)}"""\n` +
    `    total = 0\n    for i in range(n):\n        total += ${rng.pick(NAMES)}[i] * ${rng.float(0, 2, 3)}\n    return total / n`,
  (rng) =>
    `for epoch in range(${rng.int(2, 50)}):\n    loss = train_one_epoch(model, loader, lr=${rng.float(0, 0.01, 5)})\n    print(f"epoch {epoch}: loss={loss:.4f}")`,
  (rng) =>
    `fig, ax = plt.subplots(figsize=(${rng.int(4, 12)}, ${rng.int(3, 8)}))\nax.plot(${rng.pick(NAMES)}["${rng.pick(WORDS)}"], label="${rng.pick(WORDS)}")\nax.legend()\nplt.show()`,
  (rng) =>
    `${rng.pick(NAMES)} = {${Array.from({ length: rng.int(1, 5) }, () => `"${rng.pick(WORDS)}": ${rng.float(0, 10, 3)}`).join(', ')}}`,
  (rng) => `# ${sentence(rng, rng.int(4, 10))}\n${rng.pick(NAMES)}.describe()`,
  (rng) => `assert len(${rng.pick(NAMES)}) == ${rng.int(1, 10000)}, "unexpected ${rng.pick(WORDS)} count"`,
];

function codeSource(rng) {
  return Array.from({ length: rng.int(1, 5) }, () => rng.pick(CODE_BLOCKS)(rng)).join('\n');
}

// ---------------------------------------------------------------- outputs

function streamOutput(rng, approxBytes) {
  const lines = [];
  let size = 0;
  const name = rng.chance(0.85) ? 'stdout' : 'stderr';
  while (size < approxBytes) {
    const line =
      name === 'stderr'
        ? `/opt/conda/lib/python3.11/site-packages/${rng.pick(WORDS)}/${rng.pick(WORDS)}.py:${rng.int(10, 999)}: UserWarning: ${sentence(rng)}\n`
        : rng.chance(0.7)
          ? `Epoch ${rng.int(1, 100)}/100 - loss: ${rng.float(0, 2)} - accuracy: ${rng.float(0.5, 1)} - val_loss: ${rng.float(0, 2)}\n`
          : `${sentence(rng)}\n`;
    lines.push(line);
    size += line.length + 4;
  }
  return { output_type: 'stream', name, text: lines.join('') };
}

function htmlTable(rng, rows, cols) {
  const head = Array.from({ length: cols }, () => `      <th>${rng.pick(WORDS)}</th>\n`).join('');
  const body = Array.from(
    { length: rows },
    (_, r) =>
      `    <tr>\n      <th>${r}</th>\n${Array.from({ length: cols }, () => `      <td>${rng.float(-100, 100, 6)}</td>\n`).join('')}    </tr>\n`,
  ).join('');
  return (
    '<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n        vertical-align: middle;\n    }\n</style>\n' +
    `<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">\n      <th></th>\n${head}    </tr>\n  </thead>\n  <tbody>\n${body}  </tbody>\n</table>\n</div>`
  );
}

function executeResult(rng, approxBytes, count) {
  const cols = rng.int(2, 8);
  const rows = Math.max(1, Math.round(approxBytes / (cols * 60 + 60)));
  const plain = Array.from(
    { length: Math.min(rows, 10) },
    (_, r) => `${r}  ${Array.from({ length: cols }, () => rng.float(-100, 100, 6)).join('  ')}`,
  ).join('\n');
  return {
    output_type: 'execute_result',
    execution_count: count,
    data: { 'text/html': htmlTable(rng, rows, cols), 'text/plain': plain },
    metadata: {},
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let k = 0; k < bytes.length; k++) c = CRC_TABLE[(c ^ bytes[k]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A valid RGB PNG of about `approxBytes`: a white plot area with a curve, plus a band of noise whose
 * height sets the compressed size (noise does not compress, like the anti-aliasing of real plots).
 */
function pngImage(rng, approxBytes) {
  const width = 320;
  const noiseRows = Math.max(1, Math.round(approxBytes / (width * 3)));
  const height = noiseRows + 120;
  const raw = Buffer.alloc((width * 3 + 1) * height, 255);
  const phase = rng.next() * 6;
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    if (y < noiseRows) {
      let state = (rng.next() * 4294967296) >>> 0;
      for (let x = 1; x <= width * 3; x++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        raw[row + x] = state & 0xff;
      }
    }
  }
  for (let x = 0; x < width; x++) {
    const y = noiseRows + 60 + Math.round(50 * Math.sin(phase + x / 25));
    const at = y * (width * 3 + 1) + 1 + x * 3;
    raw[at] = 31;
    raw[at + 1] = 119;
    raw[at + 2] = 180;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function displayData(rng, approxBytes) {
  const png = pngImage(rng, (approxBytes * 3) / 4);
  return {
    output_type: 'display_data',
    data: {
      'image/png': png.toString('base64'),
      'text/plain': `<Figure size ${rng.int(4, 12) * 100}x${rng.int(3, 8) * 100} with 1 Axes>`,
    },
    metadata: rng.chance(0.3) ? { needs_background: 'light' } : {},
  };
}

function errorOutput(rng) {
  const ename = rng.pick(['ValueError', 'KeyError', 'ZeroDivisionError', 'TypeError', 'IndexError']);
  const evalue = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.int(0, 99)}`;
  return {
    output_type: 'error',
    ename,
    evalue,
    traceback: [
      '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
      `\u001b[0;31m${ename}\u001b[0m                                Traceback (most recent call last)`,
      `Cell \u001b[0;32mIn[${rng.int(1, 60)}], line ${rng.int(1, 9)}\u001b[0m\n\u001b[0;32m----> 1\u001b[0m ${rng.pick(NAMES)}[\u001b[38;5;124m"${rng.pick(WORDS)}\u001b[39m"]`,
      `\u001b[0;31m${ename}\u001b[0m: ${evalue}`,
    ],
  };
}

// ---------------------------------------------------------------- cells

/** Jupyter's timestamps have microseconds: 2024-01-01T10:00:00.123456Z. */
function timestamp(rng, ms) {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(rng.int(0, 999)).padStart(3, '0')}Z`;
}

function executionMetadata(rng, clock) {
  const start = clock.now;
  const busy = start + rng.int(0, 5);
  const idle = busy + rng.int(1, 3000);
  clock.now = idle + rng.int(1000, 60000);
  return {
    'iopub.execute_input': timestamp(rng, busy),
    'iopub.status.busy': timestamp(rng, start),
    'iopub.status.idle': timestamp(rng, idle),
    'shell.execute_reply': timestamp(rng, idle + rng.int(0, 3)),
  };
}

/** A code cell whose outputs are sized by `budget` (bytes still to fill). */
function codeCell(rng, id, count, clock, budget) {
  const outputs = [];
  const kind = rng.next();
  const big = Math.min(budget, rng.logUniform(2_000, 150_000));
  if (kind < 0.2) {
    // no output
  } else if (kind < 0.5) outputs.push(streamOutput(rng, Math.min(big / 4, rng.logUniform(100, 8_000))));
  else if (kind < 0.68) outputs.push(executeResult(rng, Math.min(big / 3, rng.logUniform(300, 20_000)), count));
  else if (kind < 0.93) {
    if (rng.chance(0.3)) outputs.push(streamOutput(rng, rng.int(50, 400)));
    outputs.push(displayData(rng, big));
  } else outputs.push(errorOutput(rng));
  const metadata = { execution: executionMetadata(rng, clock) };
  if (rng.chance(0.15)) metadata.tags = [rng.pick(['parameters', 'hide-input', 'remove-output', 'slow', 'skip'])];
  if (rng.chance(0.1)) metadata.scrolled = true;
  if (rng.chance(0.05)) metadata.collapsed = false;
  return { cell_type: 'code', execution_count: count, id, metadata, outputs, source: codeSource(rng) };
}

const METADATA = {
  kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
  language_info: {
    codemirror_mode: { name: 'ipython', version: 3 },
    file_extension: '.py',
    mimetype: 'text/x-python',
    name: 'python',
    nbconvert_exporter: 'python',
    pygments_lexer: 'ipython3',
    version: '3.11.6',
  },
};

export function generateNotebook(seed, { targetBytes = 50_000 } = {}) {
  const rng = createRandom(seed);
  const nb = { cells: [], metadata: structuredClone(METADATA), nbformat: 4, nbformat_minor: 5 };
  if (rng.chance(0.3)) nb.metadata.toc = { base_numbering: 1, number_sections: rng.chance(0.5) };
  const base = Buffer.byteLength(serialize(nb));
  let size = base;
  let count = 0;
  const ids = new Set();
  const clock = { now: Date.UTC(2024, 0, 1) + rng.int(0, 300) * 86_400_000 };
  // Each cell's contribution is measured exactly: same indentation depth as in the full notebook.
  const cellBytes = (cell) => Buffer.byteLength(serialize({ ...nb, cells: [cell] })) - base + 2;
  while (size < targetBytes) {
    let id;
    do id = rng.hex(8);
    while (ids.has(id));
    ids.add(id);
    const slack = Math.max(2_000, targetBytes * 0.02);
    let budget = targetBytes - size;
    let cell;
    let bytes;
    // A cell that would overshoot the target by more than the slack is drawn again, smaller.
    do {
      cell = rng.chance(0.35)
        ? { cell_type: 'markdown', id, metadata: {}, source: markdownSource(rng) }
        : codeCell(rng, id, count + 1, clock, budget);
      bytes = cellBytes(cell);
      budget /= 2;
    } while (size + bytes > targetBytes + slack && budget > 100);
    if (size + bytes > targetBytes + slack) {
      // Even a small code cell is too big: end with one sentence of markdown.
      cell = { cell_type: 'markdown', id, metadata: {}, source: sentence(rng) };
      bytes = cellBytes(cell);
    }
    if (cell.cell_type === 'code') count++;
    nb.cells.push(cell);
    size += bytes;
  }
  return nb;
}

export function generateNotebookText(seed, { targetBytes = 50_000 } = {}) {
  return serialize(generateNotebook(seed, { targetBytes }));
}

export function corpusSizes({ count = 200, seed = 1 } = {}) {
  const rng = createRandom(seed ^ 0x5eed);
  const large = Math.round(count * 0.05);
  const every = large > 0 ? Math.floor(count / large) : Infinity;
  const sizes = [];
  for (let k = 0; k < count; k++) {
    // The large ones are spread evenly (every 20th) so that any prefix of the corpus has the same mix.
    const isLarge = (k + 1) % every === 0 && k < every * large;
    sizes.push(Math.round(isLarge ? rng.logUniform(1_000_000, 5_000_000) : rng.logUniform(10_000, 200_000)));
  }
  return sizes;
}

export function generateCorpus(dir, { count = 200, seed = 1 } = {}) {
  mkdirSync(dir, { recursive: true });
  const files = [];
  let totalBytes = 0;
  corpusSizes({ count, seed }).forEach((targetBytes, k) => {
    const text = generateNotebookText(seed * 100_003 + k, { targetBytes });
    const file = join(dir, `nb-${String(k).padStart(3, '0')}.ipynb`);
    writeFileSync(file, text);
    files.push(file);
    totalBytes += Buffer.byteLength(text);
  });
  return { files, totalBytes };
}

function cacheRoot() {
  return join(tmpdir(), `nbpipe-bench-v${GENERATOR_VERSION}`);
}

export function benchCorpus({ count = 200, seed = 1 } = {}) {
  const dir = join(cacheRoot(), `corpus-${count}-${seed}`);
  const done = join(dir, '.complete');
  if (!existsSync(done)) {
    // Generate beside, then rename: a run interrupted half-way never leaves a partial corpus.
    const staging = `${dir}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    generateCorpus(staging, { count, seed });
    writeFileSync(join(staging, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()
    .map((f) => join(dir, f));
  return { dir, files, totalBytes: files.reduce((sum, f) => sum + statSync(f).size, 0) };
}

export function benchNotebook(targetBytes = 20 * 2 ** 20, seed = 1) {
  const file = join(cacheRoot(), `notebook-${targetBytes}-${seed}.ipynb`);
  if (!existsSync(file)) {
    mkdirSync(cacheRoot(), { recursive: true });
    const staging = `${file}.${process.pid}.tmp`;
    writeFileSync(staging, generateNotebookText(seed, { targetBytes }));
    renameSync(staging, file);
  }
  return file;
}

function cli() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      size: { type: 'string' },
    },
  });
  const [out] = positionals;
  if (!out) {
    process.stderr.write('usage: generate.mjs OUTDIR [--count N] [--seed S] | OUTFILE.ipynb --size BYTES [--seed S]\n');
    process.exit(2);
  }
  const seed = Number(values.seed);
  if (values.size) {
    const text = generateNotebookText(seed, { targetBytes: Number(values.size) });
    writeFileSync(out, text);
    process.stdout.write(`${out}: ${Buffer.byteLength(text)} bytes\n`);
    return;
  }
  const { files, totalBytes } = generateCorpus(resolve(out), { count: Number(values.count), seed });
  process.stdout.write(`${out}: ${files.length} notebooks, ${(totalBytes / 2 ** 20).toFixed(1)} MiB\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) cli();
