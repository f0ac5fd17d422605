// The `nbpipe` command shell, through the built CLI: help, version, usage errors, colour, configuration.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, nbpipe, tempDir } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string })
  .version;
const ANSI = /\x1b\[[0-9;]*m/;

/** Run the CLI under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
function onTty(args: string[], env: Record<string, string | undefined>): string {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: childEnv });
  return r.stdout;
}

function withoutColorEnv(): Record<string, string | undefined> {
  return { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color' };
}

describe('help and version', () => {
  it('--version prints the package version', () => {
    const r = nbpipe(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('--help lists the commands and the global options', () => {
    const r = nbpipe(['--help']);
    expect(r.code).toBe(0);
    for (const text of [
      'Commands:',
      'nbpipe validate',
      'nbpipe fmt',
      'nbpipe config',
      '--quiet',
      '--verbose',
      '--color',
      '--config',
      '--version',
    ])
      expect(r.stdout).toContain(text);
  });

  it('every listed command has its own help with examples', () => {
    const names = [...nbpipe(['--help']).stdout.matchAll(/^ {2}nbpipe ([a-z][\w-]*)/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['validate', 'fmt', 'config']));
    for (const name of names) {
      const r = nbpipe([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`nbpipe ${name}`);
      expect(r.stdout, `${name} --help has no examples`).toContain('Examples:');
    }
  });
});

describe('a reader that stops early', () => {
  it('closes the pipe: nbpipe stops quietly, without a stack trace', () => {
    const { dir, cleanup } = tempDir();
    try {
      const source = Array.from({ length: 20_000 }, (_, i) => `x${i} = ${i}\n`);
      const cells = [{ cell_type: 'code', execution_count: null, id: 'big', metadata: {}, outputs: [], source }];
      writeFileSync(join(dir, 'big.ipynb'), JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 }));
      const r = spawnSync(
        'bash',
        ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" fmt - < big.ipynb | head -c 10 >/dev/null`],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      cleanup();
    }
  });
});

describe('usage errors exit 2 with one line and a pointer to --help', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /frobnicate/],
    ['no command', [], /command/i],
    ['an unknown option', ['fmt', '--frobnicate', 'x.ipynb'], /frobnicate/],
    ['a missing argument', ['fmt'], /argument/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = nbpipe(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^nbpipe: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).toContain("Run 'nbpipe --help'");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('colour', () => {
  const missing = ['fmt', '/nonexistent/nbpipe-colour-test.ipynb'];

  it('is on for a TTY', () => {
    const out = onTty(missing, withoutColorEnv());
    expect(out).toContain('nonexistent/nbpipe-colour-test.ipynb');
    expect(out).toMatch(ANSI);
  });

  it('is off for a TTY when NO_COLOR is set', () => {
    const out = onTty(missing, { ...withoutColorEnv(), NO_COLOR: '1' });
    expect(out).toContain('nonexistent/nbpipe-colour-test.ipynb');
    expect(out).not.toMatch(ANSI);
  });

  it('is off when output is not a TTY', () => {
    const r = nbpipe(missing, { env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nbpipe-colour-test.ipynb');
    expect(r.stderr).not.toMatch(ANSI);
  });
});

describe('configuration', () => {
  let root: { dir: string; cleanup: () => void };
  beforeAll(() => {
    root = tempDir('nbpipe-config-');
  });
  afterAll(() => root.cleanup());

  let n = 0;
  /** A project folder holding `files` (and a package.json, which bounds cosmiconfig's search). */
  function project(files: Record<string, string>): string {
    const dir = join(root.dir, `p${n++}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name": "demo", "private": true}\n');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  const PAIRING = 'ipynb,py:percent';
  const formats: [string, string][] = [
    ['.nbpiperc', `pairing: ${PAIRING}\n`],
    ['.nbpiperc.json', JSON.stringify({ pairing: PAIRING })],
    ['.nbpiperc.yaml', `pairing: "${PAIRING}"\n`],
    ['.nbpiperc.yml', `pairing: "${PAIRING}"\n`],
    ['nbpipe.config.js', `module.exports = { pairing: '${PAIRING}' };\n`],
    ['nbpipe.config.cjs', `module.exports = { pairing: '${PAIRING}' };\n`],
    ['nbpipe.config.mjs', `export default { pairing: '${PAIRING}' };\n`],
    ['nbpipe.config.ts', `const config: { pairing: string } = { pairing: '${PAIRING}' };\nexport default config;\n`],
    ['nbpipe.config.json', JSON.stringify({ pairing: PAIRING })],
    ['nbpipe.config.yaml', `pairing: "${PAIRING}"\n`],
  ];
  for (const [name, text] of formats) {
    it(`is found in ${name}`, () => {
      const dir = project({ [name]: text });
      const r = nbpipe(['config'], { cwd: dir });
      expect(r.stderr).toContain(join(dir, name));
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ pairing: PAIRING });
    });
  }

  it('is found under the "nbpipe" key of package.json, from a subfolder', () => {
    const dir = project({});
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'demo', nbpipe: { pairing: PAIRING } }));
    mkdirSync(join(dir, 'notebooks/deep'), { recursive: true });
    const r = nbpipe(['config'], { cwd: join(dir, 'notebooks/deep') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ pairing: PAIRING });
    expect(r.stderr).toContain(join(dir, 'package.json'));
  });

  it('is empty, and says so, when there is none', () => {
    const r = nbpipe(['config'], { cwd: project({}) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({});
    expect(r.stderr).toMatch(/no configuration/);
  });

  it('--config names the file to use', () => {
    const dir = project({ 'custom.yaml': `pairing: "${PAIRING}"\n` });
    const r = nbpipe(['config', '--config', 'custom.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ pairing: PAIRING });
  });

  const invalid: [string, Record<string, string>, string, RegExp][] = [
    [
      'an unknown key',
      { '.nbpiperc.json': '{"pairing": "ipynb,md", "frobnicate": true}' },
      '.nbpiperc.json',
      /unknown key "frobnicate"/,
    ],
    [
      'a wrong type',
      { 'nbpipe.config.yaml': 'pairing: 3\n' },
      'nbpipe.config.yaml',
      /"pairing".*expected a string, got number/,
    ],
    ['not a mapping', { '.nbpiperc.json': '[1, 2]' }, '.nbpiperc.json', /expected a mapping/],
    ['a syntax error', { '.nbpiperc.json': '{"pairing": ' }, '.nbpiperc.json', /cannot read configuration/],
  ];
  for (const [what, files, file, message] of invalid) {
    it(`with ${what} is an error naming the file and the key (exit 2)`, () => {
      const dir = project(files);
      const r = nbpipe(['config'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(join(dir, file));
      expect(lines[0]).toMatch(message);
    });
  }

  it('in package.json with a wrong type names package.json and the key', () => {
    const dir = project({});
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'demo', nbpipe: { pairing: ['ipynb'] } }));
    const r = nbpipe(['config'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'package.json'));
    expect(r.stderr).toMatch(/"pairing".*got array/);
  });
});
