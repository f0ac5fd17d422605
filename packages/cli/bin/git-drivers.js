#!/usr/bin/env node
// The script `nbpipe install` configures for git's diff, textconv and merge drivers and its filter (git starts
// one process per notebook, so this is dist/git-drivers.js, bundled when current; see bundle.js). When nbpipe's
// code cannot be loaded (node_modules or dist/ missing), it exits 75 before reading any input: the commands in
// git config take that as "nbpipe cannot start" and do what git does without nbpipe.
import module from 'node:module';

// Node >= 22.1 caches compiled code between runs; Node 20 has no such cache.
module.enableCompileCache?.();

try {
  const { entryPoint } = await import('./bundle.js');
  await import(entryPoint('git-drivers', 'git-drivers.js'));
} catch (e) {
  process.stderr.write(`nbpipe: cannot start (${e instanceof Error ? e.message.split('\n')[0] : String(e)})\n`);
  process.exitCode = 75;
}
