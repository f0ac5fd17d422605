// The git filter end to end, with real git: after `nbpipe install`, committed blobs carry no outputs, the working
// copy keeps them, git status stays clean, stash and checkout lose nothing, bad notebooks never block git, and a
// clone where nbpipe cannot start keeps working.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORPORA, nbpipe, tempRepo } from './helpers.js';

const corpus = (name: string) => readFileSync(join(CORPORA, 'nbstripout', name), 'utf8');
const WITH_OUTPUTS = corpus('test_metadata.ipynb');
const STRIPPED = corpus('test_metadata.ipynb.expected');

/** test_metadata.ipynb re-executed: an edited first cell and a new output. */
function edited(text: string): string {
  const nb = JSON.parse(text);
  nb.cells[0].source = ['changed\n'];
  nb.cells[3].outputs.push({ output_type: 'stream', name: 'stdout', text: ['a new output\n'] });
  return JSON.stringify(nb, null, 1) + '\n';
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function installedRepo(...args: string[]) {
  const repo = tempRepo();
  cleanup = repo.cleanup;
  const r = nbpipe(['install', '--quiet', ...args], { cwd: repo.dir });
  expect(r.code, r.stderr).toBe(0);
  return repo;
}

describe('git filter after nbpipe install', () => {
  it('commits notebooks without outputs while the working copy keeps them; git status stays clean', () => {
    const repo = installedRepo();
    repo.write('a.ipynb', WITH_OUTPUTS);
    repo.write('sub/b.ipynb', corpus('test_widgets.ipynb'));
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'notebooks');
    expect(repo.git('show', 'HEAD:a.ipynb').stdout).toBe(STRIPPED);
    expect(repo.git('show', 'HEAD:sub/b.ipynb').stdout).toBe(corpus('test_widgets.ipynb.expected'));
    expect(repo.read('a.ipynb')).toBe(WITH_OUTPUTS);
    expect(repo.git('status', '--porcelain').stdout).toBe('');
    // Touched (stat-dirty) notebooks are cleaned again and still not modified.
    repo.write('a.ipynb', WITH_OUTPUTS);
    expect(repo.git('status', '--porcelain').stdout).toBe('');
    expect(repo.git('diff', '--stat').stdout).toBe('');
  });

  it('git stash and checkout round trips lose nothing, outputs included', () => {
    const repo = installedRepo();
    repo.write('a.ipynb', WITH_OUTPUTS);
    repo.git('add', '.');
    repo.git('commit', '-q', '-m', 'one');
    const work = edited(WITH_OUTPUTS);
    repo.write('a.ipynb', work);

    repo.git('stash');
    expect(repo.read('a.ipynb')).toBe(WITH_OUTPUTS); // HEAD, with the outputs it was committed from
    expect(repo.git('status', '--porcelain').stdout).toBe('');
    repo.git('stash', 'pop');
    expect(repo.read('a.ipynb')).toBe(work);

    repo.git('checkout', '-q', '-b', 'other');
    repo.git('commit', '-q', '-am', 'two');
    repo.git('checkout', '-q', 'main');
    expect(repo.read('a.ipynb')).toBe(WITH_OUTPUTS);
    repo.git('checkout', '-q', 'other');
    expect(repo.read('a.ipynb')).toBe(work);
    expect(repo.git('status', '--porcelain').stdout).toBe('');
  });

  it('commits a notebook that is not valid JSON unchanged, with a warning, and keeps filtering the others', () => {
    const repo = installedRepo();
    const broken = corpus('test_invalid_json.ipynb');
    repo.write('bad.ipynb', broken);
    repo.write('good.ipynb', WITH_OUTPUTS);
    const add = repo.git('add', 'bad.ipynb', 'good.ipynb');
    expect(add.stderr).toMatch(/bad\.ipynb: invalid JSON at line 33, column 1.*; committed unchanged/);
    repo.git('commit', '-q', '--no-verify', '-m', 'x');
    expect(repo.git('show', 'HEAD:bad.ipynb').stdout).toBe(broken);
    expect(repo.git('show', 'HEAD:good.ipynb').stdout).toBe(STRIPPED);
  });

  it('serves a whole git add from one process', () => {
    const repo = installedRepo();
    const command = repo.git('config', 'filter.nbpipe.process').stdout.trim();
    repo.git('config', 'filter.nbpipe.process', `echo started >> ${join(repo.dir, '.git', 'starts')}; ${command}`);
    for (let i = 0; i < 20; i++) repo.write(`nb-${i}.ipynb`, WITH_OUTPUTS);
    repo.git('add', '.');
    expect(readFileSync(join(repo.dir, '.git', 'starts'), 'utf8')).toBe('started\n');
    for (let i = 0; i < 20; i++) expect(repo.git('show', `:nb-${i}.ipynb`).stdout).toBe(STRIPPED);
  });

  it('strips Zeppelin notes as Zeppelin', () => {
    const repo = installedRepo();
    repo.write('note.zpln', corpus('test_zeppelin.zpln'));
    repo.git('add', 'note.zpln');
    expect(repo.git('show', ':note.zpln').stdout).toBe(corpus('test_zeppelin.zpln.expected'));
  });

  it('the per-file clean command (for git tools without the process protocol) strips too', () => {
    const repo = installedRepo();
    repo.git('config', '--unset', 'filter.nbpipe.process');
    repo.write('a.ipynb', WITH_OUTPUTS);
    repo.git('add', 'a.ipynb');
    expect(repo.git('show', ':a.ipynb').stdout).toBe(STRIPPED);
  });

  it('when nbpipe cannot start, git add, status and checkout still work and notebooks pass through', () => {
    const repo = installedRepo();
    for (const key of ['filter.nbpipe.process', 'filter.nbpipe.clean']) {
      const command = repo.git('config', key).stdout.trim();
      repo.git('config', key, command.split('/drivers/git-drivers.cjs').join('/drivers/moved-away.js'));
    }
    repo.write('a.ipynb', WITH_OUTPUTS);
    const add = repo.git('add', 'a.ipynb', '.gitattributes');
    expect(add.stderr).toMatch(/nbpipe: cannot start/);
    expect(repo.git('show', ':a.ipynb').stdout).toBe(WITH_OUTPUTS);
    repo.git('commit', '-q', '--no-verify', '-m', 'x');
    writeFileSync(join(repo.dir, 'a.ipynb'), '');
    repo.git('checkout', '--', 'a.ipynb');
    expect(repo.read('a.ipynb')).toBe(WITH_OUTPUTS);
    expect(repo.git('status', '--porcelain').stdout).toBe('');
    const doctor = nbpipe(['doctor'], { cwd: repo.dir });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/broken {2}strip outputs/);
  });
});
