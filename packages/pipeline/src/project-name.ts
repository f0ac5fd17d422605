import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { runGit } from '@nbpipe/git';
import type { Pipeline } from './project.js';

/** The repository's name in a remote URL: its last path segment without `.git` (`git@host:team/shop.git` → `shop`). */
export function repositoryNameOfUrl(url: string): string | undefined {
  const path = url
    .trim()
    .replace(/[/\\]+$/, '')
    .replace(/[/\\]\.git$/i, '');
  const name = path
    .split(/[/\\:]/)
    .pop()!
    .replace(/\.git$/i, '');
  return name || undefined;
}

/**
 * The pipeline's name, the same in every clone (a clone's folder can be called anything, `/tmp/tmp.x1y2`): for a
 * pipeline.yaml at the top of its repository, the name of the repository its `origin` remote points to; else the
 * name of the pipeline's folder (which, in a subfolder, the repository holds). Used for the plot's title and the
 * Argo workflow's `generateName`, as the README says.
 */
export async function projectName(p: Pick<Pipeline, 'root' | 'repo'>): Promise<string> {
  if (p.repo && realpathSync(p.repo.root) === realpathSync(p.root)) {
    const remote = await runGit(['remote', 'get-url', 'origin'], { cwd: p.root });
    const name = remote.code === 0 ? repositoryNameOfUrl(remote.stdout.toString('utf8')) : undefined;
    if (name) return name;
  }
  return basename(p.root);
}
