#!/usr/bin/env node
/**
 * Bundles the built CLI into dist/bundle/: dist/bin.js and everything it imports as one entry file that holds what
 * every run needs (yargs, the command definitions, @nbpipe/nbformat) and chunks for what handlers import lazily
 * (`await import(...)` stays lazy with esbuild's code splitting); and dist/drivers/git-drivers.js as one CommonJS file. One file
 * instead of ~60 modules to resolve and load is most of the CLI's start-up time; see BENCHMARKS.md.
 *
 * Run by the package's `build` script after `tsc -b`. The launchers (bin/nbpipe.js, drivers/git-drivers.cjs) fall back to the unbundled dist/ build when a
 * package was rebuilt after the bundle (drivers/bundle.cjs), so plain `tsc -b` never leaves the CLI running stale code.
 * scripts/release.mjs imports `bundleCli` to bundle the same code into the release package (README, "Contributing").
 */
import { readFile } from 'node:fs/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACE_PACKAGES = resolve(PACKAGE_DIR, '..');

/**
 * Left to Node at run time: native addons (zeromq) and packages that load files or other packages by
 * computed paths (cosmiconfig's loaders, playwright's browser registry, typescript).
 */
const EXTERNAL = ['zeromq', 'cosmiconfig', 'playwright-core', 'typescript'];

/**
 * Code that finds files next to itself (`new URL('../x', import.meta.url)`) must keep finding them once
 * bundled: every output file is in outDir, so `import.meta.url` is rewritten to the URL the original file has
 * where the bundle runs (`runtimePath`), expressed relative to the bundle.
 */
const keepImportMetaUrl = (outDir, runtimePath) => ({
  name: 'keep-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.m?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      if (/import\.meta\.(dirname|filename)/.test(source) && !args.path.includes(`${sep}node_modules${sep}`))
        throw new Error(
          `${args.path}: use new URL(..., import.meta.url) instead of import.meta.dirname/filename (they cannot be bundled)`,
        );
      const fromBundle = relative(outDir, runtimePath(args.path)).split(sep).join('/');
      return {
        contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
});

/**
 * string-width (yargs' help layout) does two costly things when imported, on every start although only
 * help output measures strings: it builds an Intl.Segmenter (ICU data, ~20 ms) and compiles a
 * `\p{RGI_Emoji}` pattern (~20 ms). Both are built on first use instead. A version that reads
 * differently fails the build, naming the line no longer found, so the start-up cost cannot come back unnoticed.
 */
const LAZY_IN_STRING_WIDTH = [
  [
    'const segmenter = new Intl.Segmenter();',
    'let segmenterInstance;\nconst segmenter = { segment: (text) => (segmenterInstance ??= new Intl.Segmenter()).segment(text) };',
  ],
  [
    'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
    "let rgiEmojiRegexInstance;\nconst rgiEmojiRegex = { test: (text) => (rgiEmojiRegexInstance ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(text) };",
  ],
];
/** string-width's source with LAZY_IN_STRING_WIDTH applied; throws, naming `file`, when a line is no longer there. */
export function makeStringWidthLazy(source, file) {
  for (const [eager, lazy] of LAZY_IN_STRING_WIDTH) {
    if (!source.includes(eager))
      throw new Error(
        `${file}: no longer contains ${JSON.stringify(eager)}: update LAZY_IN_STRING_WIDTH in drivers/bundle.mjs`,
      );
    source = source.replace(eager, () => lazy);
  }
  return source;
}
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(b) {
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, async (args) => ({
      contents: makeStringWidthLazy(await readFile(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};

/**
 * yargs renders (and caches) the help text of every command it runs, measuring each word with
 * string-width. The tree holds string-width 7 twice (under cliui and wrap-ansi) besides the newer copy
 * yargs depends on directly, which has an ASCII fast path (same API and options); every import of
 * string-width is resolved to that one, saving ~30 ms per command. `dedupeTo('string-width', 'yargs')`: when
 * `owner` no longer depends on `name`, the build fails rather than silently bundling every copy again.
 */
export const dedupeTo = (name, owner) => ({
  name: `dedupe-${name}`,
  setup(b) {
    const ownerDir = dirname(createRequire(import.meta.url).resolve(`${owner}/package.json`));
    b.onResolve({ filter: new RegExp(`^${name}$`) }, async (args) => {
      if (args.pluginData === 'dedupe') return undefined;
      const result = await b.resolve(name, { resolveDir: ownerDir, kind: args.kind, pluginData: 'dedupe' });
      if (result.errors.length)
        throw new Error(`${owner} no longer depends on ${name}: update dedupeTo in drivers/bundle.mjs`);
      return { path: result.path };
    });
  },
});

/**
 * Bundles the built CLI into `outDir`; `runtimePath` maps each bundled file to where it is when the bundle runs (itself
 * in this checkout; its place in the release package for scripts/release.mjs). Returns esbuild's metafiles.
 */
export async function bundleCli(outDir, runtimePath = (file) => file) {
  rmSync(outDir, { recursive: true, force: true });
  const cli = await build({
    metafile: true,
    absWorkingDir: PACKAGE_DIR,
    entryPoints: { nbpipe: resolve(PACKAGE_DIR, 'dist/bin.js') },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [dedupeTo('string-width', 'yargs'), lazyStringWidth, keepImportMetaUrl(outDir, runtimePath)],
    chunkNames: '[name]-[hash]',
    // Bundled CommonJS dependencies (yaml, picomatch…) call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __nbpipeCreateRequire } from 'node:module';\nconst require = __nbpipeCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });

  /**
   * What git runs once per notebook (drivers/git-drivers.cjs): one self-contained CommonJS file, without yargs and the command
   * table. CommonJS because a process that loads no ES module never starts Node's ES module loader, and one file because
   * each chunk is one more module to resolve and load: ~30 ms less per notebook than the ES module bundle. Lazy imports are
   * inlined but still evaluated only when reached.
   */
  const drivers = await build({
    metafile: true,
    absWorkingDir: PACKAGE_DIR,
    entryPoints: { 'git-drivers': resolve(PACKAGE_DIR, 'dist/drivers/git-drivers.js') },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [keepImportMetaUrl(outDir, runtimePath)],
    // keepImportMetaUrl's `import.meta.url` is this file's URL, which CommonJS spells through __filename.
    define: { 'import.meta.url': '__nbpipeImportMetaUrl' },
    banner: { js: "const __nbpipeImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });

  return [cli.metafile, drivers.metafile];
}

/** The workspace packages bundled, for drivers/bundle.cjs to notice one rebuilt since (their tsconfig.tsbuildinfo). */
export function bundledWorkspacePackages(metafiles) {
  const packages = new Set();
  for (const input of metafiles.flatMap((metafile) => Object.keys(metafile.inputs))) {
    const [name, folder] = relative(WORKSPACE_PACKAGES, resolve(PACKAGE_DIR, input)).split(sep);
    if (name !== '..' && folder === 'dist')
      packages.add(relative(PACKAGE_DIR, resolve(WORKSPACE_PACKAGES, name)).split(sep).join('/') || '.');
  }
  return [...packages].sort();
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = resolve(PACKAGE_DIR, 'dist/bundle');
  // `--if-stale` (the root `npm run build`, after turbo): a build replayed from turbo's cache, or a plain `tsc -b`
  // with unchanged sources, can leave a package's tsconfig.tsbuildinfo newer than the bundle, and the launchers would
  // then run the slow unbundled build for good. Bundle again in that case only.
  const { bundleIsCurrent } = createRequire(import.meta.url)('./bundle.cjs');
  if (process.argv.includes('--if-stale') && bundleIsCurrent(resolve(outDir, 'nbpipe.js'))) process.exit(0);
  const packages = bundledWorkspacePackages(await bundleCli(outDir));
  writeFileSync(resolve(outDir, 'packages.json'), JSON.stringify(packages) + '\n');
}
