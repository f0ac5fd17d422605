#!/usr/bin/env node
// Committed entry point so that npm links `nbpipe` at install time, before the first build.
// `npm run build` also bundles the CLI into dist/bundle/ (drivers/bundle.mjs), which starts several times
// faster than ~60 separate modules. The bundle runs unless a workspace package it contains was rebuilt
// after it (plain `tsc -b` in a development checkout): then the unbundled build does, never stale code.
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { entryPath } from '../drivers/bundle.cjs';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();

await import(pathToFileURL(entryPath('nbpipe.js', 'bin.js')).href);
