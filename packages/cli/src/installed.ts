/**
 * This copy of nbpipe: its version and the folder git config and hooks name (`nbpipe install` writes absolute paths
 * into it). Paths are relative to this module, which is dist/installed.js in the package (also once bundled: see
 * drivers/bundle.mjs), so they hold in this monorepo and in the release package alike.
 */
import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release version: the package.json of the CLI package (README, "Contributing": changesets set it). */
export const NBPIPE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The package folder: bin/ holds what git and the hooks run. */
export const INSTALL_DIR = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/**
 * Why the copy at `dir` is no place for git config to point at, if it is not: npx runs a package it had to download
 * from its cache (`_npx` in npm's cache folder), which npm or `npm cache clean` may delete at any time; git would then
 * diff and merge as without nbpipe and commit notebooks with their outputs (README, "Install").
 */
export function transientInstallProblem(dir: string = INSTALL_DIR): string | undefined {
  if (!dir.split(sep).includes('_npx')) return undefined;
  return (
    `nbpipe runs from npx's cache (${dir}), which npm may clean: git would then diff and merge without nbpipe and commit outputs. ` +
    'Install nbpipe in the project (`npm install -D nbpipe`, then `npx nbpipe install`) or globally (`npm install -g nbpipe`, then `nbpipe install`)'
  );
}
