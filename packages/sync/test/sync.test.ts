import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serialize, codeCell, type Notebook } from '@nbpipe/nbformat';
import { formatPairing } from '@nbpipe/codec';
import { findJupytextConfig, planPair, SettingsCache, type MemberReader } from '../src/sync.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function files(tree: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'nbpipe-sync-'));
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
const env = { JUPYTEXT_CEILING_DIRECTORIES: tmpdir() };

describe('findJupytextConfig', () => {
  it('takes the closest configuration, jupytext.toml before pyproject.toml', async () => {
    const dir = files({
      'jupytext.toml': 'formats = "ipynb,md"\n',
      'a/pyproject.toml': '[tool.jupytext]\nformats = "ipynb,py:percent"\ncell_metadata_filter = "-all"\n',
      'a/b/.keep': '',
      'c/pyproject.toml': '[project]\nname = "no jupytext here"\n',
    });
    const inB = await findJupytextConfig(join(dir, 'a/b'), env);
    expect(inB?.path).toBe(join(dir, 'a/pyproject.toml'));
    expect(inB?.settings.pairings.map(formatPairing)).toEqual(['ipynb,py:percent']);
    expect(inB?.settings.formatOptions).toEqual({ cell_metadata_filter: '-all' });
    expect((await findJupytextConfig(join(dir, 'c'), env))?.path).toBe(join(dir, 'jupytext.toml'));
  });

  it('stops at an empty .jupytext and at JUPYTEXT_CEILING_DIRECTORIES', async () => {
    const dir = files({ 'jupytext.toml': 'formats = "ipynb,md"\n', 'a/.jupytext': '', 'b/x': '' });
    expect(await findJupytextConfig(join(dir, 'a'), env)).toBeUndefined();
    expect(await findJupytextConfig(join(dir, 'b'), { JUPYTEXT_CEILING_DIRECTORIES: dir })).toBeUndefined();
  });

  it('reads YAML and JSON configurations, and names the file and line of a broken one', async () => {
    const dir = files({
      'y/jupytext.yml': 'formats: ipynb,py:light\n',
      'j/jupytext.json': '{"formats": "ipynb,md"}',
      'bad/jupytext.toml': 'formats = "ipynb\n',
    });
    expect((await findJupytextConfig(join(dir, 'y'), env))?.settings.pairings.map(formatPairing)).toEqual([
      'ipynb,py:light',
    ]);
    expect((await findJupytextConfig(join(dir, 'j'), env))?.settings.pairings.map(formatPairing)).toEqual(['ipynb,md']);
    await expect(findJupytextConfig(join(dir, 'bad'), env)).rejects.toThrow(
      /bad\/jupytext\.toml: cannot read the jupytext configuration \(line 1\)/,
    );
  });
});

describe('planPair with contents from elsewhere (as a pre-commit hook reads staged blobs)', () => {
  it('plans from the contents given, the staged member being the source', async () => {
    const dir = files({ 'jupytext.toml': 'formats = "ipynb,py:percent"\n' });
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [
        codeCell('x = 1', {
          id: 'x',
          execution_count: 1,
          outputs: [{ output_type: 'stream', name: 'stdout', text: 'one\n' }],
        }),
      ],
    };
    const staged: Record<string, { content: string; mtime: number }> = {
      [join(dir, 'nb.ipynb')]: { content: serialize(nb), mtime: 10 },
      [join(dir, 'nb.py')]: { content: '# %%\nx = 1\n\n# %%\ny = 2\n', mtime: Infinity },
    };
    const read: MemberReader = async (path) => staged[path];
    const planned = await planPair(join(dir, 'nb.ipynb'), read, { settings: new SettingsCache({ env }) });
    if (!planned.paired || planned.plan.status !== 'synced') throw new Error('expected a plan');
    expect(planned.plan.source).toBe(join(dir, 'nb.py'));
    const ipynb = JSON.parse(planned.plan.members[0]!.after) as Notebook;
    expect(ipynb.cells.map((c) => c.source)).toEqual([['x = 1'], ['y = 2']]);
    expect(ipynb.cells[0]).toMatchObject({ id: 'x', execution_count: 1 });
  });

  it('says why a file is not paired', async () => {
    const dir = files({});
    const read: MemberReader = async () => ({ content: '# %%\nx = 1\n', mtime: 1 });
    expect(await planPair(join(dir, 'a.py'), read, { settings: new SettingsCache({ env }) })).toEqual({
      paired: false,
      reason: 'it has no pairing and the project sets none',
    });
  });
});
