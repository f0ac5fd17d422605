import { describe, expect, it } from 'vitest';
import { formatPairing, pairingsFromConfigValue, readJupytextSettings, PairingError } from '../src/pairing/index.js';

const pairings = (value: unknown) => pairingsFromConfigValue(value, 'jupytext.toml').map(formatPairing);

describe('jupytext configuration', () => {
  it('reads every spelling of "formats"', () => {
    expect(pairings('ipynb,py:percent')).toEqual(['ipynb,py:percent']);
    expect(pairings(['ipynb', 'py:percent'])).toEqual(['ipynb,py:percent']);
    expect(pairings('ipynb,py:percent;md,py:light')).toEqual(['ipynb,py:percent', 'md,py:light']);
    expect(pairings({ 'notebooks/': 'ipynb', 'scripts/': 'py:percent' })).toEqual([
      'notebooks///ipynb,scripts///py:percent',
    ]);
    expect(
      pairings([
        { 'notebooks/': 'ipynb', 'scripts/': 'py:percent' },
        { 'docs/': 'md', 'src/': 'py:light' },
      ]),
    ).toEqual(['notebooks///ipynb,scripts///py:percent', 'docs///md,src///py:light']);
  });

  it('names the file when "formats" is wrong', () => {
    expect(() => pairings(3)).toThrow(PairingError);
    expect(() => pairings(3)).toThrow(/^jupytext.toml: "formats" must be/);
    expect(() => pairings('ipynb,py:nosuch')).toThrow(/^jupytext.toml: "formats" is invalid/);
    expect(() => pairings({ 'notebooks/': 1 })).toThrow(/maps "notebooks\/" to a number/);
  });

  it('takes format options under their current and deprecated names, and lists unknown keys', () => {
    const settings = readJupytextSettings(
      {
        default_jupytext_formats: 'ipynb,py',
        preferred_jupytext_formats_save: 'py:percent',
        default_notebook_metadata_filter: '-all',
        cell_metadata_filter: '-all',
        default_cell_metadata_filter: 'tags',
        comment_magics: false,
        notebook_extensions: ['ipynb'],
        no_such_option: 1,
      },
      'pyproject.toml [tool.jupytext]',
    );
    expect(settings.pairings.map(formatPairing)).toEqual(['ipynb,py:percent']);
    expect(settings.formatOptions).toEqual({
      notebook_metadata_filter: '-all',
      cell_metadata_filter: '-all',
      comment_magics: false,
    });
    expect(settings.unknownKeys).toEqual(['no_such_option']);
    expect(() => readJupytextSettings({ cell_markers: ['a'] }, 'j.toml')).toThrow(
      /j.toml: "cell_markers" must be a string or a boolean/,
    );
  });
});
