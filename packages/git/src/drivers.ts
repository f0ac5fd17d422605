/**
 * The commands `nbpipe install` writes into git config for the diff and merge drivers.
 *
 * Each command is a small shell function, because git runs driver commands through `sh`. It starts nbpipe with an
 * absolute node and script path (git's environment, GUIs included, may not have node or nbpipe on PATH) and falls back
 * to what git does without a driver when nbpipe cannot start (e.g. `node_modules` deleted): a plain text diff, `cat`
 * for textconv, git's own text merge. So a broken or missing nbpipe never breaks `git diff`, `git log -p` or `git merge`.
 */

/** How to start nbpipe's git entry point. */
export interface DriverLauncher {
  /** Absolute path of the node executable. */
  node: string;
  /** Absolute path of the script that dispatches `merge-driver`, `diff-driver` and `textconv`. */
  script: string;
}

/** The driver name used in `.gitattributes` (`diff=nbpipe merge=nbpipe`) and in git config sections. */
export const DRIVER_NAME = 'nbpipe';

/**
 * The exit status of nbpipe's git entry point when its code cannot be loaded (node_modules or part of dist/ missing),
 * before it reads any input: the commands below (and the filter's) then fall back as when the script is missing.
 */
export const DRIVER_CANNOT_START = 75;

/** POSIX shell quoting: one word, whatever the characters. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `git diff`: the external diff command; git appends the 7 (or 9) external-diff arguments. */
export function diffCommand({ node, script }: DriverLauncher): string {
  const run = `${shellQuote(node)} ${shellQuote(script)}`;
  const s = shellQuote(script);
  return (
    `nbpipe_diff() { { [ -f ${s} ] && ${run} diff-driver "$@"; } || ` +
    `{ git diff --no-index --no-ext-diff --no-textconv -- "$2" "$5"; :; }; }; nbpipe_diff`
  );
}

/** `git log -p`, `git show`, GUIs: the textconv command; git appends the file to convert. */
export function textconvCommand({ node, script }: DriverLauncher): string {
  const s = shellQuote(script);
  return `nbpipe_textconv() { { [ -f ${s} ] && ${shellQuote(node)} ${s} textconv "$1"; } || cat "$1"; }; nbpipe_textconv`;
}

/**
 * `git merge`, `rebase`, `cherry-pick`: the merge driver. nbpipe exits 0 (clean) or 1 (conflicts, result written to %A);
 * anything else means it could not merge (unreadable input, nbpipe unavailable) and left %A untouched, so git's own
 * three-way text merge runs instead, exactly as without a driver.
 */
export function mergeDriverCommand({ node, script }: DriverLauncher): string {
  const s = shellQuote(script);
  return (
    `nbpipe_merge() { if [ -f ${s} ]; then ${shellQuote(node)} ${s} merge-driver -- "$@"; status=$?; ` +
    `[ $status -le 1 ] && return $status; fi; ` +
    `git merge-file --marker-size="$4" -L local -L base -L remote "$2" "$1" "$3"; }; nbpipe_merge %O %A %B %L %P`
  );
}
