#!/usr/bin/env node
// The script `nbpipe install` configures for git's diff, textconv and merge drivers and its filter. git starts one
// process per notebook, so this is CommonJS running one CommonJS file, dist/bundle/git-drivers.cjs when current (see
// bundle.cjs): no ES module loader to start, nothing to resolve. When nbpipe's code cannot be loaded (node_modules or
// dist/ missing), it exits 75 before reading any input: the commands in git config take that as "nbpipe cannot start"
// and do what git does without nbpipe.
'use strict';

function cannotStart(e) {
  process.stderr.write(`nbpipe: cannot start (${e instanceof Error ? e.message.split('\n')[0] : String(e)})\n`);
  process.exitCode = 75;
}

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
require('node:module').enableCompileCache?.();

try {
  const entry = require('./bundle.cjs').entryPath('git-drivers.cjs', 'drivers/git-drivers.js');
  if (entry.endsWith('.cjs')) require(entry);
  else import(require('node:url').pathToFileURL(entry).href).catch(cannotStart);
} catch (e) {
  cannotStart(e);
}
