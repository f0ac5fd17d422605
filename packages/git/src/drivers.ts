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
  /**
   * The Perl client of the drivers' resident server (diff and textconv), tried first, and the key of the server's
   * socket; without it, or when it cannot answer, the script runs in a node process of its own.
   */
  client?: { script: string; key: string };
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

/**
 * The shell words that start `script` with `node`, NODE_EXTRA_CA_CERTS emptied for that process only. Node 20 reads and
 * parses every certificate of that file while starting, even in a process that never opens a TLS connection
 * (nodejs/node#40524): with a 140-certificate bundle that is ~70 ms on top of ~30 ms, and git starts one process per
 * notebook. nbpipe's git entry points and hooks make no network connections; the variable is left as it is for
 * everything else (the fallbacks, chained hooks).
 */
export function nodeCommand(node: string, script: string): string {
  return `NODE_EXTRA_CA_CERTS= ${shellQuote(node)} ${shellQuote(script)}`;
}

/**
 * The shell words that run `command` with its arguments (`args`, shell words): through the resident server's client
 * when there is one (it prints nothing unless it succeeds; perl missing is a failure like any other), else, or when
 * that fails, in a node process of its own.
 */
function driverCommand({ node, script, client }: DriverLauncher, command: string, args: string): string {
  const run = `${nodeCommand(node, script)} ${command} ${args}`;
  if (!client) return run;
  return `{ perl ${shellQuote(client.script)} ${shellQuote(node)} ${shellQuote(script)} ${client.key} ${command} ${args} 2>/dev/null || ${run}; }`;
}

/**
 * Shell words that print, on stderr, which of node and nbpipe's script is missing and what git does instead, as one
 * line; nothing when both are there. (Without the check, sh reports the failed command prefixed with the whole
 * function, since git passes the command as sh's $0.)
 */
function reportMissing({ node, script }: DriverLauncher, instead: string): string {
  const shown = (path: string) => path.replace(/["$`\\]/g, '');
  const line = (what: string) => `echo "nbpipe: cannot start (${what} is missing): ${instead}" >&2`;
  return `if [ ! -x ${shellQuote(node)} ]; then ${line(`node ${shown(node)}`)}; elif [ ! -f ${shellQuote(script)} ]; then ${line(shown(script))}; fi`;
}

/** Both node and nbpipe's script are there. */
function canStart({ node, script }: DriverLauncher): string {
  return `[ -f ${shellQuote(script)} ] && [ -x ${shellQuote(node)} ]`;
}

/**
 * `git diff`: the external diff command; git appends the 7 (or 9) external-diff arguments. Without nbpipe, git's plain
 * diff, its header naming the repository's path rather than the temporary files git wrote the blobs to (as the
 * driver's own plain diff does: diff-driver.ts), rewritten by perl, which git depends on.
 */
export function diffCommand(launcher: DriverLauncher): string {
  const renameHeader =
    String.raw`perl -pe 'BEGIN { ($p, @t) = splice @ARGV, 0, 3; s{^/+}{} for @t } $body ||= /^(\e\[[\d;]*m)*@@/; ` +
    String.raw`unless ($body) { for $t (@t) { s{([ab])/\Q$t\E}{$1/$p}g } }' "$1" "$2" "$5"`;
  return (
    `nbpipe_diff() { { ${canStart(launcher)} && ${driverCommand(launcher, 'diff-driver', '"$@"')}; } || ` +
    `{ ${reportMissing(launcher, 'showing a plain diff')}; ` +
    `git diff --no-index --no-ext-diff --no-textconv -- "$2" "$5" | ${renameHeader}; :; }; }; nbpipe_diff`
  );
}

/** `git log -p`, `git show`, GUIs: the textconv command; git appends the file to convert. */
export function textconvCommand(launcher: DriverLauncher): string {
  return `nbpipe_textconv() { { ${canStart(launcher)} && ${driverCommand(launcher, 'textconv', '"$1"')}; } || cat "$1"; }; nbpipe_textconv`;
}

/**
 * `git merge`, `rebase`, `cherry-pick`: the merge driver. nbpipe exits 0 (clean) or 1 (conflicts, result written to %A);
 * anything else means it could not merge (unreadable input, nbpipe unavailable) and left %A untouched, so git's own
 * three-way text merge runs instead, exactly as without a driver.
 */
export function mergeDriverCommand(launcher: DriverLauncher): string {
  return (
    `nbpipe_merge() { if ${canStart(launcher)}; then ${nodeCommand(launcher.node, launcher.script)} merge-driver -- "$@"; status=$?; ` +
    `[ $status -le 1 ] && return $status; else ${reportMissing(launcher, 'merging as text')}; fi; ` +
    `git merge-file --marker-size="$4" -L local -L base -L remote "$2" "$1" "$3"; }; nbpipe_merge %O %A %B %L %P`
  );
}
