import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '@nbpipe/test-support';
import { loadConfig } from '../src/config.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('loadConfig', () => {
  it("finds what cosmiconfig's project search finds, also where it skips loading cosmiconfig", async () => {
    const { dir: tmp, cleanup } = tempDir('nbpipe-config-');
    cleanups.push(cleanup);
    const dir = realpathSync(tmp);
    const folder = (...parts: string[]) => {
      const path = join(dir, ...parts);
      mkdirSync(path, { recursive: true });
      return path;
    };
    // a: nothing up to a package.json without an nbpipe key; b: a .nbpiperc.yaml two folders up; c: package.json's key
    writeFileSync(join(folder('a'), 'package.json'), '{"name": "a"}\n');
    writeFileSync(join(folder('b'), '.nbpiperc.yaml'), 'pairing: ipynb,py:percent\n');
    writeFileSync(join(folder('b'), 'package.json'), '{"name": "b"}\n');
    writeFileSync(join(folder('c'), 'package.json'), '{"nbpipe": {"pairing": "ipynb,py:light"}}\n');
    writeFileSync(join(folder('d'), 'package.yaml'), 'name: d\n');
    writeFileSync(join(dir, '.nbpiperc.yaml'), 'pairing: ipynb,md\n');
    const explorer = cosmiconfig('nbpipe', { searchStrategy: 'project' });
    for (const cwd of [folder('a', 'x', 'y'), folder('b', 'x', 'y'), folder('c', 'x'), folder('d', 'x')]) {
      const expected = await explorer.search(cwd);
      expect((await loadConfig(cwd)).config, cwd).toEqual(expected?.config ?? {});
    }
    expect((await loadConfig(folder('a', 'x'))).config).toEqual({});
    expect((await loadConfig(folder('b', 'x'))).config).toEqual({ pairing: 'ipynb,py:percent' });
    expect((await loadConfig(folder('d', 'x'))).config).toEqual({});
  });
});
