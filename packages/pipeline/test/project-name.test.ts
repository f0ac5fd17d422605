import { describe, expect, it } from 'vitest';
import { repositoryNameOfUrl } from '../src/project-name.js';

describe('repositoryNameOfUrl', () => {
  it('takes the last path segment of every URL form git accepts, without .git', () => {
    expect(repositoryNameOfUrl('https://github.com/team/shop.git\n')).toBe('shop');
    expect(repositoryNameOfUrl('https://gitlab.example.com/group/sub/shop/')).toBe('shop');
    expect(repositoryNameOfUrl('git@github.com:team/shop.git')).toBe('shop');
    expect(repositoryNameOfUrl('example.com:shop')).toBe('shop');
    expect(repositoryNameOfUrl('ssh://git@example.com:2222/team/shop.git')).toBe('shop');
    expect(repositoryNameOfUrl('/srv/git/shop.git')).toBe('shop');
    expect(repositoryNameOfUrl('file:///home/me/shop/.git')).toBe('shop');
    expect(repositoryNameOfUrl('C:\\repos\\shop')).toBe('shop');
  });

  it('gives nothing for a URL without a name', () => {
    expect(repositoryNameOfUrl('')).toBeUndefined();
    expect(repositoryNameOfUrl('.git')).toBeUndefined();
  });
});
