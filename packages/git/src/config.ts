import { homedir } from 'node:os';
import { join } from 'node:path';
import { GitError, runGit, type Repository } from './repo.js';

/** Where settings go: the repository's own `.git/config`, or the user's global git config. */
export type ConfigScope = 'local' | 'global';

/** Which config file to address: a repository's (local) or the user's (global). */
export interface ConfigTarget {
  scope: ConfigScope;
  /** Required for the local scope. */
  repo?: Repository;
}

function configArgs(target: ConfigTarget): { args: string[]; cwd: string } {
  if (target.scope === 'global') return { args: ['config', '--global'], cwd: target.repo?.root ?? homedir() };
  if (!target.repo) throw new GitError('the local git config needs a repository');
  return { args: ['config', '--local'], cwd: target.repo.root };
}

/** A key's value in the target's file, or undefined when unset. */
export async function getGitConfig(target: ConfigTarget, key: string): Promise<string | undefined> {
  const { args, cwd } = configArgs(target);
  const r = await runGit([...args, '--get', key], { cwd });
  if (r.code === 1) return undefined;
  if (r.code !== 0) throw new GitError(`cannot read git config ${key}: ${r.stderr}`);
  return r.stdout.toString('utf8').replace(/\n$/, '');
}

/** A key's value as git sees it from `cwd` (all scopes merged), or undefined when unset. */
export async function getEffectiveGitConfig(cwd: string, key: string): Promise<string | undefined> {
  const r = await runGit(['config', '--get', key], { cwd });
  return r.code === 0 ? r.stdout.toString('utf8').replace(/\n$/, '') : undefined;
}

/** Where git reads a key from, when set: its scope (`system`, `global`, `local`, `worktree`, `command`), file and value. */
export async function gitConfigOrigin(
  cwd: string,
  key: string,
): Promise<{ scope: string; file: string; value: string } | undefined> {
  const r = await runGit(['config', '--show-scope', '--show-origin', '--get', key], { cwd });
  if (r.code !== 0) return undefined;
  const [scope = '', origin = '', ...value] = r.stdout.toString('utf8').replace(/\n$/, '').split('\t');
  return { scope, file: origin.replace(/^file:/, ''), value: value.join('\t') };
}

export async function setGitConfig(target: ConfigTarget, key: string, value: string): Promise<void> {
  const { args, cwd } = configArgs(target);
  const r = await runGit([...args, key, value], { cwd });
  if (r.code !== 0) throw new GitError(`cannot set git config ${key}: ${r.stderr}`);
}

/** Remove a key; returns whether it was set. Git drops a section header once its last key goes. */
export async function unsetGitConfig(target: ConfigTarget, key: string): Promise<boolean> {
  const { args, cwd } = configArgs(target);
  const r = await runGit([...args, '--unset-all', key], { cwd });
  if (r.code === 5) return false; // git's "key not set"
  if (r.code !== 0) throw new GitError(`cannot unset git config ${key}: ${r.stderr}`);
  return true;
}

/**
 * The attributes file for a scope: the repository's `.gitattributes` at its root (shared with everyone who clones it),
 * or the user's global one (`core.attributesFile`, else git's default `$XDG_CONFIG_HOME/git/attributes`).
 */
export async function attributesFileFor(target: ConfigTarget): Promise<string> {
  if (target.scope === 'local') {
    if (!target.repo) throw new GitError('the local attributes file needs a repository');
    return join(target.repo.root, '.gitattributes');
  }
  const configured = await getGitConfig(target, 'core.attributesFile');
  if (configured) return configured.startsWith('~/') ? join(homedir(), configured.slice(2)) : configured;
  const xdg = process.env.XDG_CONFIG_HOME;
  return join(xdg ? xdg : join(homedir(), '.config'), 'git', 'attributes');
}
