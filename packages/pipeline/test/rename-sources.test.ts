import { describe, expect, it } from 'vitest';
import { renameSources } from '../src/rename-sources.js';

const project = {
  root: '/project',
  file: '/project/pipeline.yaml',
  label: (path: string) => path.slice('/project/'.length),
};
const rename = (yamlText: string, ...pairs: [string, string][]) => renameSources(project, yamlText, new Map(pairs));

describe('renameSources', () => {
  it('edits each renamed source where it stands: quoting, comments, flow style and other tasks stay', () => {
    const text = `# the pipeline
tasks:
  - source: 'tasks/load.py'  # raw data
    product: out/load.ipynb
  - {source: "tasks/clean.py", product: out/clean.ipynb}
  - source: tasks/plot.sh
    product: out/plot.png
`;
    expect(rename(text, ['tasks/load.py', 'tasks/load.ipynb'], ['tasks/clean.py', 'tasks/clean.ipynb'])).toBe(
      text.replace("'tasks/load.py'", "'tasks/load.ipynb'").replace('"tasks/clean.py"', '"tasks/clean.ipynb"'),
    );
  });

  it('refuses a source it cannot find or rename in place, naming pipeline.yaml', () => {
    const placeholder = 'tasks:\n  - source: "{{root}}/load.py"\n    product: out.ipynb\n';
    expect(() => rename(placeholder, ['load.py', 'load.ipynb'])).toThrow(
      'pipeline.yaml: no "source: load.py" entry to rename (placeholders?); nothing was changed',
    );
    const escaped = 'tasks:\n  - source: "load\\x2epy"\n    product: out.ipynb\n';
    expect(() => rename(escaped, ['load.py', 'load.ipynb'])).toThrow(
      'pipeline.yaml: cannot rename the source "load.py" in place; nothing was changed',
    );
  });
});
