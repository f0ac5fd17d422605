#!/usr/bin/env node
/**
 * Bundles the built CLI (dist/bin.js and everything it imports) into dist/bundle/: one entry file that
 * holds what every run needs (yargs, the command definitions, @nbpipe/nbformat) and chunks for what
 * handlers import lazily (`await import(...)` stays lazy with esbuild's code splitting). One file
 * instead of ~60 modules to resolve and load is most of the CLI's start-up time; see BENCHMARKS.md.
 *
 * Run by the package's `build` script after `tsc -b`. bin/nbpipe.js falls back to dist/bin.js when a
 * package was rebuilt after the bundle, so plain `tsc -b` never leaves the CLI running stale code.
 */
import { readFile } from 'node:fs/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = resolve(PACKAGE_DIR, 'dist/bundle');

/**
 * Left to Node at run time: native addons (zeromq), packages that load files or other packages by
 * computed paths (cosmiconfig's loaders, playwright's browser registry, typescript), and isomorphic-git,
 * which is large and only ever imported lazily.
 */
const EXTERNAL = ['zeromq', 'isomorphic-git', 'cosmiconfig', 'playwright-core', 'typescript'];

/**
 * Code that finds files next to itself (`new URL('../x', import.meta.url)`) must keep finding them once
 * bundled: every output file is in OUT_DIR, so `import.meta.url` is rewritten to the original file's URL,
 * expressed relative to the bundle.
 */
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.m?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      if (/import\.meta\.(dirname|filename)/.test(source) && !args.path.includes(`${sep}node_modules${sep}`))
        throw new Error(`${args.path}: use new URL(..., import.meta.url) instead of import.meta.dirname/filename (they cannot be bundled)`);
      const fromBundle = relative(OUT_DIR, args.path).split(sep).join('/');
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

/**
 * string-width (yargs' help layout, three copies) builds an Intl.Segmenter when imported, which costs
 * 20-30 ms of every start (ICU data) although only help output measures strings. Built on first use
 * instead. If a new version reads differently, the pattern is not found and nothing changes.
 */
const SEGMENTER = 'const segmenter = new Intl.Segmenter();';
const lazySegmenter = {
  name: 'lazy-segmenter',
  setup(b) {
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(SEGMENTER)) return undefined;
      return {
        contents: source.replace(SEGMENTER, 'let segmenterInstance;\nconst segmenter = { segment: (text) => (segmenterInstance ??= new Intl.Segmenter()).segment(text) };'),
        loader: 'js',
      };
    });
  },
};

rmSync(OUT_DIR, { recursive: true, force: true });
const { metafile } = await build({
  metafile: true,
  absWorkingDir: PACKAGE_DIR,
  entryPoints: { nbpipe: resolve(PACKAGE_DIR, 'dist/bin.js') },
  outdir: OUT_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  plugins: [lazySegmenter, keepImportMetaUrl],
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS dependencies (yaml, picomatch…) call require() for Node built-ins.
  banner: { js: "import { createRequire as __nbpipeCreateRequire } from 'node:module';\nconst require = __nbpipeCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The workspace packages bundled, for bin/nbpipe.js to notice one rebuilt since (their tsconfig.tsbuildinfo).
const WORKSPACE_PACKAGES = resolve(PACKAGE_DIR, '..');
const packages = new Set();
for (const input of Object.keys(metafile.inputs)) {
  const [name, folder] = relative(WORKSPACE_PACKAGES, resolve(PACKAGE_DIR, input)).split(sep);
  if (name !== '..' && folder === 'dist') packages.add(relative(PACKAGE_DIR, resolve(WORKSPACE_PACKAGES, name)).split(sep).join('/') || '.');
}
writeFileSync(resolve(OUT_DIR, 'packages.json'), JSON.stringify([...packages].sort()) + '\n');
