#!/usr/bin/env node
/**
 * `npm run lint` (after the typecheck): ESLint with eslint.config.js over the whole repository
 * (sources, tests, scripts). Exit 1 on any error; warnings are printed but do not fail.
 * `node scripts/lint.mjs --fix` applies the automatic fixes. Paths may be given to lint only those.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ESLint } from 'eslint';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { fix: { type: 'boolean', default: false } },
});

const eslint = new ESLint({ cwd: ROOT, fix: values.fix, errorOnUnmatchedPattern: false });
const results = await eslint.lintFiles(positionals.length ? positionals : ['.']);
if (values.fix) await ESLint.outputFixes(results);
const formatter = await eslint.loadFormatter('stylish');
const report = await formatter.format(results);
if (report) process.stdout.write(report);
const errors = results.reduce((sum, r) => sum + r.errorCount, 0);
const warnings = results.reduce((sum, r) => sum + r.warningCount, 0);
process.stdout.write(`lint: ${results.length} files, ${errors} errors, ${warnings} warnings\n`);
process.exitCode = errors > 0 ? 1 : 0;
