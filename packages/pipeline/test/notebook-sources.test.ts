import { describe, expect, it } from 'vitest';
import { gitBlobHash } from '@nbpipe/git';
import { analyzeSource, readNotebookSource, sourceKindOf, sourceLanguage } from '../src/sources.js';

const analyze = (path: string, text: string) => analyzeSource('notebook', path, Buffer.from(text), gitBlobHash(text));

describe('R and Julia notebook sources', () => {
  it('reads percent scripts in their language and finds upstream in their parameters cell', async () => {
    const r = '# %% tags=["parameters"]\nupstream <- c("load", \'clean\')\nproduct <- NULL\n\n# %%\nx <- 1\n';
    expect(sourceKindOf('tasks/fit.R')).toBe('notebook');
    const nb = await readNotebookSource('tasks/fit.R', r);
    expect(nb.cells.map((c) => c.source)).toEqual(['upstream <- c("load", \'clean\')\nproduct <- NULL', 'x <- 1']);
    expect(sourceLanguage('tasks/fit.R', nb)).toBe('r');
    expect(await analyze('tasks/fit.R', r)).toMatchObject({ upstream: ['load', 'clean'], line: 2 });
    expect(await analyze('tasks/fit.R', r.replace('c("load", \'clean\')', 'NULL'))).toMatchObject({ upstream: [] });
    expect(await analyze('tasks/fit.R', r.replace('c("load", \'clean\')', 'other'))).toMatchObject({
      upstreamProblem: 'parameters cell: upstream: expected NULL or c("name", ...), got other',
    });

    const jl = '# %% tags=["parameters"]\nupstream = ["load"]\nproduct = nothing\n\n# %%\nx = 1\n';
    const julia = await readNotebookSource('fit.jl', jl);
    expect(sourceLanguage('fit.jl', julia)).toBe('julia');
    expect(await analyze('fit.jl', jl)).toMatchObject({ upstream: ['load'] });
  });
});
