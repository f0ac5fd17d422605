import { describe, expect, it } from 'vitest';
import { codeCell, markdownCell, parse, serialize, type CodeCell, type Notebook } from '@nbpipe/nbformat';
import { notebookToText } from '../src/formats/index.js';
import { findPair, inputsDigest, parsePairing, planSync, readMember, type SyncMember } from '../src/pairing/index.js';

const [IPYNB, PY] = parsePairing('ipynb,py:percent') as [
  ReturnType<typeof parsePairing>[0],
  ReturnType<typeof parsePairing>[0],
];

function runNotebook(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
      jupytext: { formats: 'ipynb,py:percent' },
    },
    cells: [
      markdownCell('# Title', { id: 'm' }),
      codeCell('a = 1', {
        id: 'a',
        execution_count: 1,
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'A\n' }],
        metadata: { collapsed: true },
      }),
      codeCell('b = 2', {
        id: 'b',
        execution_count: 2,
        outputs: [{ output_type: 'stream', name: 'stdout', text: 'B\n' }],
      }),
    ],
  };
}

function pair(
  ipynb: Notebook | undefined,
  py: string | undefined,
  times: [number, number],
  lastSynced?: [string, string],
): SyncMember[] {
  return [
    {
      path: 'nb.ipynb',
      format: IPYNB,
      content: ipynb && serialize(ipynb),
      mtime: times[0],
      lastSynced: lastSynced?.[0],
    },
    { path: 'nb.py', format: PY, content: py, mtime: times[1], lastSynced: lastSynced?.[1] },
  ];
}

const synced = (plan: ReturnType<typeof planSync>) => {
  if (plan.status !== 'synced') throw new Error(plan.message);
  return plan;
};
const after = (plan: ReturnType<typeof planSync>, path: string) => synced(plan).members.find((m) => m.path === path)!;

describe('planSync', () => {
  const nb = runNotebook();
  const script = notebookToText(nb, PY);

  it('creates a missing text from the notebook, and leaves the notebook alone', () => {
    const plan = synced(planSync(pair(nb, undefined, [1, 0])));
    expect(plan.source).toBe('nb.ipynb');
    expect(after(plan, 'nb.py').after).toBe(script);
    expect(after(plan, 'nb.ipynb').after).toBe(serialize(nb));
  });

  it('takes the cells of a newer text and keeps the outputs and hidden metadata of unchanged cells', () => {
    const edited = script.replace('b = 2', 'b = 3');
    const plan = synced(planSync(pair(nb, edited, [1, 2])));
    expect(plan.source).toBe('nb.py');
    expect(after(plan, 'nb.py').after).toBe(edited);
    const result = parse(after(plan, 'nb.ipynb').after);
    expect(result.cells.map((c) => c.source)).toEqual(['# Title', 'a = 1', 'b = 3']);
    expect(result.cells[1]).toEqual(nb.cells[1]);
    expect(result.cells[2]).toMatchObject({ id: 'b', outputs: [], execution_count: null });
    expect(result.metadata).toEqual(nb.metadata);
    expect(plan.matches!.map((m) => m.kind)).toEqual(['same', 'same', 'edited']);
  });

  it('lets the text win a tie and the notebook win only when strictly newer', () => {
    const edited = script.replace('b = 2', 'b = 3');
    expect(synced(planSync(pair(nb, edited, [5, 5]))).source).toBe('nb.py');
    expect(synced(planSync(pair(nb, edited, [6, 5]))).source).toBe('nb.ipynb');
  });

  it('is a no-op on a pair in step', () => {
    const plan = synced(planSync(pair(nb, script, [1, 2])));
    for (const m of plan.members) expect(m.after).toBe(m.before);
  });

  it('leaves alone a member that already holds the notebook, whatever its bytes', () => {
    // A header written by jupytext itself, with its version, and a .ipynb indented by another tool.
    const jupytextScript = script.replace(
      "#       format_version: '1.3'\n",
      "#       format_version: '1.3'\n#       jupytext_version: 1.16.4\n",
    );
    expect(jupytextScript).not.toBe(script);
    const reindented = JSON.stringify(JSON.parse(serialize(nb)), null, 2) + '\n';
    const members = pair(nb, jupytextScript, [2, 1]);
    members[0]!.content = reindented;
    const plan = synced(planSync(members));
    expect(plan.source).toBe('nb.ipynb');
    for (const m of plan.members) expect(m.after).toBe(m.before);
    // A kernelspec change in the notebook does reach the header.
    const renamed = runNotebook();
    renamed.metadata.kernelspec!.display_name = 'Python 3 (ipykernel)';
    expect(after(planSync(pair(renamed, jupytextScript, [2, 1])), 'nb.py').after).toContain(
      'display_name: Python 3 (ipykernel)',
    );
  });

  it('takes the member whose cells changed since the last sync, even when the other is newer', () => {
    const digests: [string, string] = [inputsDigest(nb), inputsDigest(readMember('nb.py', PY, script))];
    const edited = script.replace('b = 2', 'b = 3');
    // The notebook was saved later (new outputs, same cells): the edit in the text must not be lost.
    const rerun = runNotebook();
    (rerun.cells[1] as CodeCell).outputs = [{ output_type: 'stream', name: 'stdout', text: 'A again\n' }];
    const plan = synced(planSync(pair(rerun, edited, [9, 2], digests)));
    expect(plan.source).toBe('nb.py');
    const result = parse(after(plan, 'nb.ipynb').after);
    expect(result.cells[2]!.source).toBe('b = 3');
    expect((result.cells[1] as CodeCell).outputs[0]!.text).toBe('A again\n');
  });

  it('reports a conflict when both members changed their cells differently, unless told which to prefer', () => {
    const digests: [string, string] = [inputsDigest(nb), inputsDigest(readMember('nb.py', PY, script))];
    const nbEdited = runNotebook();
    nbEdited.cells[1]!.source = 'a = 10';
    const pyEdited = script.replace('b = 2', 'b = 3');
    const plan = planSync(pair(nbEdited, pyEdited, [1, 2], digests));
    expect(plan).toMatchObject({ status: 'conflict', paths: ['nb.py', 'nb.ipynb'] });
    expect(synced(planSync(pair(nbEdited, pyEdited, [1, 2], digests), { prefer: 'notebook' })).source).toBe('nb.ipynb');
    expect(synced(planSync(pair(nbEdited, pyEdited, [1, 2], digests), { prefer: 'text' })).source).toBe('nb.py');
    // Both changed the same way: no conflict.
    const same = notebookToText(nbEdited, PY);
    expect(planSync(pair(nbEdited, same, [1, 2], digests)).status).toBe('synced');
  });

  it('counts a member back at its committed version as unedited: a record from another branch makes no conflict', () => {
    // The record holds the digests of another branch; after switching back both members equal HEAD.
    const otherBranch = runNotebook();
    otherBranch.cells[2]!.source = 'b = 20';
    const stale: [string, string] = [inputsDigest(otherBranch), inputsDigest(otherBranch)];
    const head = inputsDigest(nb);
    const withHead = (members: SyncMember[]) => members.map((m) => ({ ...m, committed: head }));
    const nbEdited = runNotebook();
    nbEdited.cells[1]!.source = 'a = 10';
    // Without what HEAD holds, the stale record makes the untouched text look edited too.
    expect(planSync(pair(nbEdited, script, [2, 1], stale)).status).toBe('conflict');
    const plan = synced(planSync(withHead(pair(nbEdited, script, [2, 1], stale))));
    expect(plan.source).toBe('nb.ipynb');
    expect(after(plan, 'nb.py').after).toBe(notebookToText(nbEdited, PY));
    // Edits of both members since HEAD and the record are still a conflict.
    const pyEdited = script.replace('b = 2', 'b = 3');
    expect(planSync(withHead(pair(nbEdited, pyEdited, [1, 2], stale))).status).toBe('conflict');
  });

  it('records a new pairing in the source and every member', () => {
    const bare = runNotebook();
    delete bare.metadata.jupytext;
    const plan = synced(
      planSync(pair(bare, undefined, [1, 0]), { source: { path: 'nb.ipynb' }, setFormats: 'ipynb,py:percent' }),
    );
    expect(parse(after(plan, 'nb.ipynb').after).metadata.jupytext).toEqual({ formats: 'ipynb,py:percent' });
    expect(after(plan, 'nb.py').after).toContain('formats: ipynb,py:percent');
  });

  it('keeps the outputs of a cell whose final newline the text cannot show (before a definition)', () => {
    // `x = 1\n` before a `def` writes as `x = 1` does (PEP 8 spacing) and reads back as `x = 1`.
    const ran = {
      ...nb,
      cells: [
        codeCell('x = 1\n', {
          id: 'x',
          execution_count: 1,
          outputs: [{ output_type: 'stream', name: 'stdout', text: 'X\n' }],
        }),
        codeCell('def f():\n    return 1', { id: 'f' }),
        codeCell('f()', { id: 'c' }),
      ],
    };
    const text = notebookToText(ran, PY);
    expect(synced(planSync(pair(ran, text, [1, 2]))).members.every((m) => m.after === m.before)).toBe(true);
    const plan = synced(planSync(pair(ran, text.replace('\nf()\n', '\nf() + 1\n'), [1, 2])));
    const result = parse(after(plan, 'nb.ipynb').after);
    expect(result.cells.map((c) => c.source)).toEqual(['x = 1', 'def f():\n    return 1', 'f() + 1']);
    expect(result.cells[0]).toMatchObject({ id: 'x', execution_count: 1, outputs: ran.cells[0]!.outputs });
  });

  it('names the file that cannot be read', () => {
    expect(() => planSync(pair(nb, '# ---\n# jupyter:\n#   a: [\n# ---\n', [1, 2]))).toThrow(
      /^nb\.py: cannot read as py:percent: line 3: invalid YAML header/,
    );
    expect(() =>
      planSync([
        { path: 'x.ipynb', format: IPYNB, content: '{"cells": [', mtime: 1 },
        { path: 'x.py', format: PY },
      ]),
    ).toThrow(/^x\.ipynb: invalid JSON/);
  });
});

describe('findPair', () => {
  it('uses the notebook pairing, else the first project pairing the file fits', () => {
    const nb = runNotebook();
    const own = findPair('/r/nb.ipynb', serialize(nb));
    expect(own).toMatchObject({ paired: true, origin: 'notebook' });
    if (own.paired) expect(own.members.map((m) => m.path)).toEqual(['/r/nb.ipynb', '/r/nb.py']);
    delete nb.metadata.jupytext;
    expect(findPair('/r/nb.ipynb', serialize(nb)).paired).toBe(false);
    const project = findPair('/r/nb.ipynb', serialize(nb), {
      projectPairings: [parsePairing('md,py:light'), parsePairing('ipynb,auto:percent')],
    });
    expect(project).toMatchObject({ paired: true, origin: 'project' });
    if (project.paired) expect(project.members.map((m) => m.path)).toEqual(['/r/nb.ipynb', '/r/nb.py']);
  });

  it('does not pair a plain script with a percent pairing, nor a notebook that unpaired itself', () => {
    const projectPairings = [parsePairing('ipynb,py:percent')];
    expect(findPair('/r/util.py', 'def f():\n    return 1\n', { projectPairings }).paired).toBe(false);
    expect(findPair('/r/nb.py', '# %%\nx = 1\n', { projectPairings }).paired).toBe(true);
    const nb = runNotebook();
    nb.metadata.jupytext = { formats: 'ipynb' };
    expect(findPair('/r/nb.ipynb', serialize(nb), { projectPairings })).toMatchObject({
      paired: false,
      reason: expect.stringContaining('single format'),
    });
  });
});

describe('readMember of an .ipynb', () => {
  it('refuses a notebook the schema refuses, naming the file (one without "cells" crashed the sync plan)', () => {
    const text = '{\n "bells": [],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n';
    expect(() => readMember('x.ipynb', parsePairing('ipynb')[0]!, text)).toThrow(/invalid notebook: missing "cells"/);
  });
});
