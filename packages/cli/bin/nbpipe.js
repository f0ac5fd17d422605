#!/usr/bin/env node
// Committed entry point so that npm links `nbpipe` at install time, before the first build.
// `npm run build` also bundles the CLI into dist/bundle/ (scripts/bundle.mjs), which starts several times
// faster than ~60 separate modules. The bundle runs unless a workspace package it contains was rebuilt
// after it (plain `tsc -b` in a development checkout): then the unbundled build does, never stale code.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();

const bundle = new URL('../dist/bundle/nbpipe.js', import.meta.url);

function bundleIsCurrent() {
  const builtAt = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt === undefined) return false;
  const packages = JSON.parse(readFileSync(new URL('../dist/bundle/packages.json', import.meta.url), 'utf8'));
  const cliDir = new URL('../', import.meta.url);
  return packages.every((dir) => {
    const rebuiltAt = statSync(new URL(`${dir}/tsconfig.tsbuildinfo`, cliDir), { throwIfNoEntry: false })?.mtimeMs;
    return rebuiltAt === undefined || rebuiltAt <= builtAt;
  });
}

await import(bundleIsCurrent() ? bundle.href : '../dist/bin.js');
