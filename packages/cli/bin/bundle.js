// Which build a launcher in this folder runs: the esbuild bundle (dist/bundle/, scripts/bundle.mjs) unless a
// workspace package it contains was rebuilt after it (plain `tsc -b` in a development checkout), then the unbundled
// dist/ build, never stale code.
import { readFileSync, statSync } from 'node:fs';

function bundleIsCurrent(bundle) {
  const builtAt = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined) return false;
  const packages = JSON.parse(readFileSync(new URL('../dist/bundle/packages.json', import.meta.url), 'utf8'));
  const cliDir = new URL('../', import.meta.url);
  return packages.every((dir) => {
    const rebuiltAt = statSync(new URL(`${dir}/tsconfig.tsbuildinfo`, cliDir), { throwIfNoEntry: false })?.mtimeMs;
    return rebuiltAt === undefined || rebuiltAt <= builtAt;
  });
}

/** The URL to import for entry `name`: dist/bundle/<name>.js when current, else dist/<unbundled>. */
export function entryPoint(name, unbundled) {
  const bundle = new URL(`../dist/bundle/${name}.js`, import.meta.url);
  return (bundleIsCurrent(bundle) ? bundle : new URL(`../dist/${unbundled}`, import.meta.url)).href;
}
