// Wildcard upstream names, kept out of spec.ts: that module loads the yaml package, which planning an unchanged
// pipeline never needs (its spec comes from the cache; README "nbpipe run and status").

const WILDCARD = /[*?[]/;

/** An upstream name that is a pattern (`fit-*`): injected as a mapping of the task names it matched to their products. */
export function isWildcard(name: string): boolean {
  return WILDCARD.test(name);
}

/** What matches the task names a wildcard stands for: `*`, `?` and `[…]` (`[!…]` negated). */
export function wildcardRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
