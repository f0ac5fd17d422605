import {
  addAttributeLines,
  editAttributesFile,
  managedAttributeLines,
  readAttributesFile,
  removeAttributeLines,
} from './attributes.js';
import { getGitConfig, setGitConfig, unsetGitConfig, type ConfigScope } from './config.js';
import { DRIVER_NAME, diffCommand, mergeDriverCommand, textconvCommand, type DriverLauncher } from './drivers.js';
import { runGit, type Repository } from './repo.js';

/** Where and how `nbpipe install` writes: the scope, its repository (local scope), its attributes file, the launcher. */
export interface InstallTarget {
  scope: ConfigScope;
  /** The repository (always set for the local scope; set for the global scope when run inside one). */
  repo?: Repository;
  attributesFile: string;
  launcher: DriverLauncher;
}

export interface StepCheck {
  /** True when the step is fully installed and effective. */
  ok: boolean;
  /** What is missing or wrong, one line each. */
  problems: string[];
  /** True when none of the step is there (never installed, or uninstalled), as opposed to partly or wrongly. */
  absent?: boolean;
}

/**
 * One independent piece of the git setup. `install` and `uninstall` are idempotent and return one line per change
 * made (none when there was nothing to do); `uninstall` undoes exactly what `install` wrote. `check` reports without
 * changing anything (for `nbpipe doctor`).
 */
export interface InstallStep {
  id: string;
  description: string;
  /**
   * For a part `install` may leave out (its option, e.g. `--no-filter`): the steps sharing this name are that part,
   * and `doctor` reports them as not installed, rather than broken, when every one of them is absent.
   */
  optionalPart?: string;
  install(target: InstallTarget): Promise<string[]>;
  uninstall(target: InstallTarget): Promise<string[]>;
  check(target: InstallTarget): Promise<StepCheck>;
}

function scopeName(target: InstallTarget): string {
  return target.scope === 'global' ? 'global git config' : 'git config';
}

/** A step that owns a set of git config keys (each one entirely nbpipe's, e.g. `merge.nbpipe.driver`). */
export function gitConfigStep(
  id: string,
  description: string,
  keys: (target: InstallTarget) => Record<string, string>,
): InstallStep {
  return {
    id,
    description,
    async install(target) {
      const changes: string[] = [];
      for (const [key, value] of Object.entries(keys(target))) {
        if ((await getGitConfig(target, key)) === value) continue;
        await setGitConfig(target, key, value);
        changes.push(`${scopeName(target)}: set ${key}`);
      }
      return changes;
    },
    async uninstall(target) {
      const changes: string[] = [];
      for (const key of Object.keys(keys(target))) {
        if (await unsetGitConfig(target, key)) changes.push(`${scopeName(target)}: removed ${key}`);
      }
      return changes;
    },
    async check(target) {
      const problems: string[] = [];
      let unset = 0;
      for (const [key, value] of Object.entries(keys(target))) {
        const actual = await getGitConfig(target, key);
        if (actual === undefined) problems.push(`${key} is not set in the ${scopeName(target)}`);
        else if (actual !== value)
          problems.push(`${key} differs from what \`nbpipe install\` writes (run it again to update)`);
        if (actual === undefined) unset++;
      }
      return { ok: problems.length === 0, problems, absent: unset === Object.keys(keys(target)).length };
    },
  };
}

/**
 * A step that owns lines of nbpipe's block in the attributes file. Its check also asks git which attributes a
 * notebook actually gets (`expected`, e.g. `{ diff: 'nbpipe' }`), so a later user line overriding ours is reported.
 */
export function attributesStep(
  id: string,
  description: string,
  lines: readonly string[],
  expected: Record<string, string>,
): InstallStep {
  return {
    id,
    description,
    async install(target) {
      const changed = await editAttributesFile(target.attributesFile, (text) => addAttributeLines(text, lines));
      return changed ? [`${target.attributesFile}: added ${lines.join(', ')}`] : [];
    },
    async uninstall(target) {
      const changed = await editAttributesFile(target.attributesFile, (text) => removeAttributeLines(text, lines));
      return changed ? [`${target.attributesFile}: removed ${lines.join(', ')}`] : [];
    },
    async check(target) {
      const problems: string[] = [];
      const present = new Set(managedAttributeLines(await readAttributesFile(target.attributesFile)));
      for (const line of lines) if (!present.has(line)) problems.push(`${target.attributesFile} lacks "${line}"`);
      const absent = lines.every((line) => !present.has(line));
      if (problems.length === 0 && target.repo) {
        const names = Object.keys(expected);
        const r = await runGit(['check-attr', ...names, '--', 'nbpipe-check.ipynb'], { cwd: target.repo.root });
        const actual = new Map(
          r.stdout
            .toString('utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(': ').slice(1) as [string, string]),
        );
        for (const [name, value] of Object.entries(expected))
          if (actual.get(name) !== value)
            problems.push(
              `notebooks get ${name}=${actual.get(name) ?? 'unspecified'}, not ${value}: a later attributes line overrides nbpipe's`,
            );
      }
      return { ok: problems.length === 0, problems, absent };
    },
  };
}

/**
 * Hunk headers of `git log -p` name the cell a change is in: the textconv view starts each cell with `# %%`
 * (`// %%`, `-- %%` or `% %%` in notebooks of languages with other line comments).
 */
export const CELL_HEADER_PATTERN = '^((#|//|--|%) %%.*)$'; // git shows the first group: the whole line

/** The notebook-aware diff (external diff, textconv, cell-header hunks) and merge driver. */
export function diffMergeSteps(): InstallStep[] {
  return [
    gitConfigStep('merge-driver', 'notebook-aware merge driver for git merge, rebase and cherry-pick', (t) => ({
      [`merge.${DRIVER_NAME}.name`]: 'nbpipe notebook-aware merge',
      [`merge.${DRIVER_NAME}.driver`]: mergeDriverCommand(t.launcher),
    })),
    gitConfigStep('diff-driver', 'notebook-aware git diff, and a text view for git log -p and git show', (t) => ({
      [`diff.${DRIVER_NAME}.command`]: diffCommand(t.launcher),
      [`diff.${DRIVER_NAME}.textconv`]: textconvCommand(t.launcher),
      [`diff.${DRIVER_NAME}.xfuncname`]: CELL_HEADER_PATTERN,
    })),
    attributesStep(
      'attributes',
      'route *.ipynb to the nbpipe diff and merge drivers',
      [`*.ipynb diff=${DRIVER_NAME} merge=${DRIVER_NAME}`],
      {
        diff: DRIVER_NAME,
        merge: DRIVER_NAME,
      },
    ),
  ];
}

/** Run every step's install in order; returns all changes. */
export async function installSteps(steps: readonly InstallStep[], target: InstallTarget): Promise<string[]> {
  const changes: string[] = [];
  for (const step of steps) changes.push(...(await step.install(target)));
  return changes;
}

/** Run every step's uninstall in reverse order; returns all changes. */
export async function uninstallSteps(steps: readonly InstallStep[], target: InstallTarget): Promise<string[]> {
  const changes: string[] = [];
  for (const step of [...steps].reverse()) changes.push(...(await step.uninstall(target)));
  return changes;
}
