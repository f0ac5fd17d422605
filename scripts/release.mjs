#!/usr/bin/env node
/**
 * The release package: what `npm install -g nbpipe-X.Y.Z.tgz` installs on a machine with only Node and git (README,
 * "Contributing"). Run after `npm run build`:
 *
 *   node scripts/release.mjs stage DIR         the package's files in DIR (package.json, bin/, drivers/, dist/bundle/, lib/)
 *   node scripts/release.mjs pack [--out DIR]  stage in a temporary folder and `npm pack` it: DIR/nbpipe-X.Y.Z.tgz
 *
 * The package is the CLI package (packages/cli: its name, version, bin) with the workspace packages bundled in by
 * esbuild (packages/cli/drivers/bundle.mjs), so it depends on no @nbpipe package. What the bundle leaves to Node at run
 * time (native zeromq, cosmiconfig's loaders) it depends on for real, with the ranges of the monorepo's root
 * `dependencies`, which therefore list exactly those packages: `npm pack` of the repository itself (what the
 * pre-commit framework installs, `language: node`) gives a package that runs the staged copy in release/ (the root
 * `prepare` script stages it). Files a workspace package ships besides its build (its package.json `files`, such as
 * the pipeline's Python helper) go to lib/<package folder>/, where the bundled code looks for them.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCli } from '../packages/cli/drivers/bundle.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PACKAGES = join(ROOT, 'packages');
const CLI_DIR = join(PACKAGES, 'cli');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(2);
}

/** Where a bundled source file is in the release package: the CLI's own files as in packages/cli, others under lib/. */
function runtimePath(stageDir) {
  return (file) => {
    const fromCli = relative(CLI_DIR, file);
    if (!fromCli.startsWith('..')) return join(stageDir, fromCli);
    const fromPackages = relative(PACKAGES, file);
    return join(stageDir, 'lib', fromPackages.startsWith('..') ? relative(ROOT, file) : fromPackages);
  };
}

/** The npm packages the bundle imports at run time (left external), by name. */
function externalPackages(metafiles) {
  const names = new Set();
  for (const metafile of metafiles)
    for (const output of Object.values(metafile.outputs))
      for (const { path, external } of output.imports) {
        if (!external || path.startsWith('node:') || builtinModules.includes(path) || path.startsWith('.')) continue;
        const parts = path.split('/');
        names.add(path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
  return [...names].sort();
}

/**
 * The release's dependencies: the root package.json's, which must list exactly the packages the bundle imports, each
 * with the range of the workspace package that declares it.
 */
function releaseDependencies(externals) {
  const declared = readJson(join(ROOT, 'package.json')).dependencies ?? {};
  const missing = externals.filter((name) => !(name in declared));
  const unused = Object.keys(declared).filter((name) => !externals.includes(name));
  if (missing.length)
    fail(
      `the bundle imports ${missing.join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} to "dependencies" of the root package.json`,
    );
  if (unused.length)
    fail(
      `the bundle does not import ${unused.join(', ')}: remove ${unused.length > 1 ? 'them' : 'it'} from "dependencies" of the root package.json`,
    );
  for (const dir of readdirSync(PACKAGES)) {
    const manifest = join(PACKAGES, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    for (const [name, range] of Object.entries(readJson(manifest).dependencies ?? {}))
      if (name in declared && declared[name] !== range)
        fail(
          `packages/${dir} depends on ${name}@${range} but the root package.json on ${name}@${declared[name]}: make them the same`,
        );
  }
  return Object.fromEntries(externals.map((name) => [name, declared[name]]));
}

/** Writes the release package's files into stageDir (emptied first). */
export async function stageRelease(stageDir) {
  const cli = readJson(join(CLI_DIR, 'package.json'));
  const root = readJson(join(ROOT, 'package.json'));
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  const metafiles = await bundleCli(join(stageDir, 'dist/bundle'), runtimePath(stageDir));
  // No workspace package ships, so the launchers never look for a newer build of one (drivers/bundle.cjs).
  writeFileSync(join(stageDir, 'dist/bundle/packages.json'), '[]\n');
  cpSync(join(CLI_DIR, 'bin'), join(stageDir, 'bin'), { recursive: true });
  // What git runs (packages/cli/drivers/README.md); bundle.mjs builds the bundle and is no part of it.
  cpSync(join(CLI_DIR, 'drivers'), join(stageDir, 'drivers'), {
    recursive: true,
    filter: (file) => !file.endsWith('bundle.mjs'),
  });
  for (const dir of readdirSync(PACKAGES)) {
    const manifest = join(PACKAGES, dir, 'package.json');
    if (dir === 'cli' || !existsSync(manifest)) continue;
    for (const entry of readJson(manifest).files ?? [])
      if (entry !== 'dist' && existsSync(join(PACKAGES, dir, entry)))
        cpSync(join(PACKAGES, dir, entry), join(stageDir, 'lib', dir, entry), { recursive: true });
  }
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md'])
    for (const from of [join(CLI_DIR, file), join(ROOT, file)])
      if (existsSync(from) && !existsSync(join(stageDir, file))) cpSync(from, join(stageDir, file));
  const manifest = {
    name: cli.name,
    version: cli.version,
    description: cli.description,
    ...(cli.license ? { license: cli.license } : {}),
    ...(cli.repository ? { repository: cli.repository } : {}),
    type: 'module',
    engines: root.engines,
    bin: cli.bin,
    dependencies: releaseDependencies(externalPackages(metafiles)),
  };
  writeFileSync(join(stageDir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Stages the release in a temporary folder and packs it into outDir; returns the tarball's path. */
export async function packRelease(outDir) {
  const stageDir = mkdtempSync(join(tmpdir(), 'nbpipe-release-'));
  try {
    await stageRelease(stageDir);
    mkdirSync(outDir, { recursive: true });
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stageDir, encoding: 'utf8' }),
    );
    return join(outDir, filename);
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string', default: '.' } },
  });
  const [command, dir] = positionals;
  if (command === 'stage' && dir) await stageRelease(resolve(dir));
  else if (command === 'pack') process.stdout.write(`${await packRelease(resolve(values.out))}\n`);
  else fail('usage: node scripts/release.mjs stage DIR | pack [--out DIR]');
}
