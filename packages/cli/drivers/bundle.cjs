// Which build a launcher (bin/nbpipe.js, git-drivers.cjs here) runs: the esbuild bundle (dist/bundle/, bundle.mjs)
// unless a workspace package it contains was rebuilt after it (plain `tsc -b` in a development checkout), then the
// unbundled dist/ build, never stale code. CommonJS, so that git-drivers.cjs can use it without starting Node's ES
// module loader.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const CLI_DIR = join(__dirname, '..');

function bundleIsCurrent(bundle) {
  const builtAt = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined) return false;
  const packages = JSON.parse(readFileSync(join(CLI_DIR, 'dist/bundle/packages.json'), 'utf8'));
  return packages.every((dir) => {
    const rebuiltAt = statSync(join(CLI_DIR, dir, 'tsconfig.tsbuildinfo'), { throwIfNoEntry: false })?.mtimeMs;
    return rebuiltAt === undefined || rebuiltAt <= builtAt;
  });
}

/** The file to load: dist/bundle/<bundled> when current, else dist/<unbundled>. */
function entryPath(bundled, unbundled) {
  const bundle = join(CLI_DIR, 'dist/bundle', bundled);
  return bundleIsCurrent(bundle) ? bundle : join(CLI_DIR, 'dist', unbundled);
}

module.exports = { entryPath, bundleIsCurrent };
