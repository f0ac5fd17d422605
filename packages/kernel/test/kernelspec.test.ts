import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notebook } from '@nbpipe/nbformat';
import {
  chooseKernelSpec,
  findKernelSpec,
  jupyterDataDirs,
  kernelInterpreter,
  KernelError,
  listKernelSpecs,
} from '@nbpipe/kernel';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nbpipe-kernelspec-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function spec(dataDir: string, dirName: string, json: object | string): string {
  const dir = join(root, dataDir, 'kernels', dirName);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}
const kernel = (language: string, extra: object = {}) => ({
  argv: ['run', '{connection_file}'],
  display_name: `K ${language}`,
  language,
  ...extra,
});

describe('jupyterDataDirs', () => {
  it('follows jupyter_core: JUPYTER_PATH, user, environment, system', () => {
    const env = { JUPYTER_PATH: '/a:/b', HOME: '/home/u', VIRTUAL_ENV: '/venv' };
    expect(jupyterDataDirs(env, 'linux')).toEqual([
      '/a',
      '/b',
      '/home/u/.local/share/jupyter',
      '/venv/share/jupyter',
      '/usr/local/share/jupyter',
      '/usr/share/jupyter',
    ]);
  });
  it('honours JUPYTER_DATA_DIR, XDG_DATA_HOME and JUPYTER_PREFER_ENV_PATH', () => {
    expect(jupyterDataDirs({ HOME: '/h', XDG_DATA_HOME: '/xdg' }, 'linux')[0]).toBe('/xdg/jupyter');
    expect(jupyterDataDirs({ HOME: '/h', JUPYTER_DATA_DIR: '/data' }, 'linux')[0]).toBe('/data');
    expect(
      jupyterDataDirs({ HOME: '/h', CONDA_PREFIX: '/conda', JUPYTER_PREFER_ENV_PATH: '1' }, 'linux').slice(0, 2),
    ).toEqual(['/conda/share/jupyter', '/h/.local/share/jupyter']);
    expect(jupyterDataDirs({ HOME: '/h' }, 'darwin')[0]).toBe('/h/Library/Jupyter');
  });
});

describe('kernelspec discovery', () => {
  it('lists kernels, earlier data dirs hiding later ones, names lower-cased', () => {
    spec('first', 'Py', kernel('python', { interrupt_mode: 'message', env: { A: '1' } }));
    spec('second', 'py', kernel('other'));
    spec('second', 'ir', kernel('R'));
    mkdirSync(join(root, 'second', 'kernels', 'empty'), { recursive: true });
    const dataDirs = [join(root, 'first'), join(root, 'second'), join(root, 'missing')];
    const specs = listKernelSpecs({ dataDirs });
    expect(specs.map((s) => [s.name, s.language])).toEqual([
      ['py', 'python'],
      ['ir', 'R'],
    ]);
    expect(specs[0]).toMatchObject({
      interruptMode: 'message',
      env: { A: '1' },
      displayName: 'K python',
      resourceDir: join(root, 'first', 'kernels', 'Py'),
    });
    expect(findKernelSpec('PY', { dataDirs }).language).toBe('python');
  });

  it('skips unreadable specs in listings but reports them when asked for by name', () => {
    spec('d', 'broken', '{ not json');
    spec('d', 'noargv', { language: 'x' });
    spec('d', 'good', kernel('python'));
    const dataDirs = [join(root, 'd')];
    expect(listKernelSpecs({ dataDirs }).map((s) => s.name)).toEqual(['good']);
    expect(() => findKernelSpec('broken', { dataDirs })).toThrow(/kernel\.json: cannot read kernel\.json/);
    expect(() => findKernelSpec('noargv', { dataDirs })).toThrow(/"argv" must be a non-empty list/);
  });

  it('names what is installed when a kernel is missing', () => {
    spec('d', 'python3', kernel('python'));
    const dataDirs = [join(root, 'd')];
    const error = (() => {
      try {
        findKernelSpec('julia-1.9', { dataDirs });
      } catch (e) {
        return e as KernelError;
      }
    })();
    expect(error).toBeInstanceOf(KernelError);
    expect(error?.code).toBe('NO_KERNELSPEC');
    expect(error?.message).toBe('no kernel named "julia-1.9"; installed kernels: python3 (python)');
    expect(() => findKernelSpec('x', { dataDirs: [join(root, 'none')] })).toThrow(
      /no kernels are installed \(searched .*none\/kernels\)/,
    );
  });

  it('chooses by --kernel, then metadata.kernelspec.name, then language', () => {
    spec('d', 'python3', kernel('python'));
    spec('d', 'ir', kernel('R'));
    spec('d', 'julia-1.10', kernel('julia'));
    const dataDirs = [join(root, 'd')];
    const nb = (metadata: Notebook['metadata']) => ({ metadata });
    expect(
      chooseKernelSpec(nb({ kernelspec: { name: 'ir', display_name: 'R' } }), { dataDirs, kernelName: 'python3' }).name,
    ).toBe('python3');
    expect(chooseKernelSpec(nb({ kernelspec: { name: 'IR', display_name: 'R' } }), { dataDirs }).name).toBe('ir');
    // a kernel not installed here falls back on the notebook's language
    expect(
      chooseKernelSpec(nb({ kernelspec: { name: 'conda-env-x-py', display_name: 'x', language: 'python' } }), {
        dataDirs,
      }).name,
    ).toBe('python3');
    expect(chooseKernelSpec(nb({ language_info: { name: 'julia' } }), { dataDirs }).name).toBe('julia-1.10');
    expect(chooseKernelSpec(nb({}), { dataDirs, language: 'R' }).name).toBe('ir');
    expect(() => chooseKernelSpec(nb({}), { dataDirs })).toThrow(
      /no kernel \(the notebook names none\); installed kernels/,
    );
    expect(() => chooseKernelSpec(nb({ kernelspec: { name: 'gone', display_name: 'g' } }), { dataDirs })).toThrow(
      /no kernel "gone"/,
    );
    expect(() => chooseKernelSpec(nb({}), { dataDirs, kernelName: 'gone' })).toThrow(/no kernel named "gone"/);
  });
});

describe('kernelInterpreter', () => {
  it("is a Python kernel's argv[0]: a path as written ({resource_dir} filled in), a bare name found on PATH", () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'python3.42'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(bin, 'not-executable'), '');
    const dirs = [join(root, 'data')];
    spec('data', 'named', kernel('python', { argv: ['python3.42', '-m', 'ipykernel_launcher'] }));
    spec('data', 'wrapped', kernel('Python', { argv: ['{resource_dir}/wrapper', '-f', '{connection_file}'] }));
    spec('data', 'unknown', kernel('python', { argv: ['not-executable'] }));
    spec('data', 'r', kernel('R', { argv: ['R'] }));
    const env = { PATH: `/nonexistent:${bin}` };
    expect(kernelInterpreter(findKernelSpec('named', { dataDirs: dirs }), env)).toBe(join(bin, 'python3.42'));
    expect(kernelInterpreter(findKernelSpec('wrapped', { dataDirs: dirs }), env)).toBe(
      join(root, 'data/kernels/wrapped/wrapper'),
    );
    expect(kernelInterpreter(findKernelSpec('unknown', { dataDirs: dirs }), env)).toBe('not-executable');
    expect(kernelInterpreter(findKernelSpec('r', { dataDirs: dirs }), env)).toBeUndefined();
  });
});
