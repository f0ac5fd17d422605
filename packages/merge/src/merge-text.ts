// The submodule, not the package index, which loads every differ (characters, words, CSS, JSON…) on start-up.
import { diffArrays } from 'diff/lib/diff/array.js';
import { splitAtNewlines } from '@nbpipe/nbformat';

export interface TextMergeOptions {
  /** Length of the `<<<<<<<`, `=======`, `>>>>>>>` markers (git's %L). */
  markerSize?: number;
  localLabel?: string;
  remoteLabel?: string;
}

export interface TextMergeResult {
  text: string;
  /** Number of conflict blocks written with markers. */
  conflicts: number;
}

/** A change of one side relative to the base: base lines [start, end) become `lines`. */
interface Hunk {
  start: number;
  end: number;
  lines: string[];
  side: 'local' | 'remote';
}

function hunks(base: string[], side: string[], name: Hunk['side']): Hunk[] {
  const out: Hunk[] = [];
  let position = 0;
  let open: Hunk | undefined;
  for (const change of diffArrays(base, side)) {
    if (!change.added && !change.removed) {
      position += change.count;
      open = undefined;
      continue;
    }
    if (!open) out.push((open = { start: position, end: position, lines: [], side: name }));
    if (change.removed) {
      position += change.count;
      open.end = position;
    } else open.lines.push(...change.value);
  }
  return out;
}

/** One side's text for base lines [start, end), given that side's hunks inside the range. */
function sideVersion(base: string[], start: number, end: number, sideHunks: Hunk[]): string[] {
  const out: string[] = [];
  let position = start;
  for (const h of sideHunks) {
    out.push(...base.slice(position, h.start), ...h.lines);
    position = h.end;
  }
  out.push(...base.slice(position, end));
  return out;
}

const terminated = (line: string) => (line.endsWith('\n') ? line : line + '\n');

/** Output pieces: lines both sides agree on, lines one side changed, or a conflict. */
type Segment =
  { kind: 'unchanged' | 'resolved'; lines: string[] } | { kind: 'conflict'; local: string[]; remote: string[] };

/** Conflicts separated by at most this many unchanged lines are shown as one (as git does). */
const CONFLICT_JOIN_DISTANCE = 3;

function segments(base: string, local: string, remote: string): Segment[] {
  const baseLines = splitAtNewlines(base);
  const all = [
    ...hunks(baseLines, splitAtNewlines(local), 'local'),
    ...hunks(baseLines, splitAtNewlines(remote), 'remote'),
  ].sort((x, y) => x.start - y.start || x.end - y.end);
  const out: Segment[] = [];
  const unchanged = (lines: string[]) => {
    if (lines.length) out.push({ kind: 'unchanged', lines });
  };
  let copied = 0;
  for (let k = 0; k < all.length;) {
    const group = [all[k]!];
    const start = all[k]!.start;
    let end = all[k]!.end;
    // Overlapping or touching changes form one region (git treats adjacent edits as a conflict too).
    for (k++; k < all.length && all[k]!.start <= end; k++) {
      group.push(all[k]!);
      end = Math.max(end, all[k]!.end);
    }
    unchanged(baseLines.slice(copied, start));
    copied = end;
    const localVersion = sideVersion(
      baseLines,
      start,
      end,
      group.filter((h) => h.side === 'local'),
    );
    const remoteVersion = sideVersion(
      baseLines,
      start,
      end,
      group.filter((h) => h.side === 'remote'),
    );
    if (group.every((h) => h.side === 'local') || localVersion.join('') === remoteVersion.join('')) {
      out.push({ kind: 'resolved', lines: localVersion });
      continue;
    }
    if (group.every((h) => h.side === 'remote')) {
      out.push({ kind: 'resolved', lines: remoteVersion });
      continue;
    }
    // Lines both sides agree on at the edges stay outside the markers.
    let prefix = 0;
    while (
      prefix < localVersion.length &&
      prefix < remoteVersion.length &&
      localVersion[prefix] === remoteVersion[prefix]
    )
      prefix++;
    let suffix = 0;
    while (
      suffix < localVersion.length - prefix &&
      suffix < remoteVersion.length - prefix &&
      localVersion[localVersion.length - 1 - suffix] === remoteVersion[remoteVersion.length - 1 - suffix]
    )
      suffix++;
    unchanged(localVersion.slice(0, prefix));
    out.push({
      kind: 'conflict',
      local: localVersion.slice(prefix, localVersion.length - suffix),
      remote: remoteVersion.slice(prefix, remoteVersion.length - suffix),
    });
    unchanged(localVersion.slice(localVersion.length - suffix));
  }
  unchanged(baseLines.slice(copied));
  return joinCloseConflicts(out);
}

function joinCloseConflicts(input: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const segment of input) {
    const between = out.at(-1);
    const before = out.at(-2);
    if (
      segment.kind === 'conflict' &&
      between?.kind === 'unchanged' &&
      between.lines.length <= CONFLICT_JOIN_DISTANCE &&
      before?.kind === 'conflict'
    ) {
      out.pop();
      before.local.push(...between.lines, ...segment.local);
      before.remote.push(...between.lines, ...segment.remote);
    } else if (segment.kind === 'unchanged' && between?.kind === 'unchanged') between.lines.push(...segment.lines);
    else
      out.push(
        segment.kind === 'conflict' ? { ...segment, local: [...segment.local], remote: [...segment.remote] } : segment,
      );
  }
  return out;
}

/**
 * Three-way merge of texts, line by line, like `git merge-file`: changes of one side are taken,
 * identical changes once, and changes that overlap or touch become a conflict block with git's
 * markers. Lines both sides agree on at the edges of a conflict stay outside the markers, and
 * conflicts only a few unchanged lines apart are shown as one block.
 */
export function mergeText(
  base: string,
  local: string,
  remote: string,
  options: TextMergeOptions = {},
): TextMergeResult {
  if (local === remote || base === remote) return { text: local, conflicts: 0 };
  if (base === local) return { text: remote, conflicts: 0 };
  const { markerSize = 7, localLabel = 'local', remoteLabel = 'remote' } = options;
  const parts = segments(base, local, remote);
  const out: string[] = [];
  let conflicts = 0;
  parts.forEach((segment, k) => {
    if (segment.kind !== 'conflict') {
      out.push(...segment.lines);
      return;
    }
    conflicts++;
    // Markers sit on their own lines; the closing one ends the text without a newline when
    // nothing follows and neither side's last line had one (sources usually end that way).
    const followed =
      parts.slice(k + 1).some((s) => s.kind === 'conflict' || s.lines.length > 0) ||
      [segment.local.at(-1), segment.remote.at(-1)].some((line) => line?.endsWith('\n'));
    out.push(
      `${'<'.repeat(markerSize)} ${localLabel}`.trimEnd() + '\n',
      ...segment.local.map(terminated),
      '='.repeat(markerSize) + '\n',
      ...segment.remote.map(terminated),
      `${'>'.repeat(markerSize)} ${remoteLabel}`.trimEnd() + (followed ? '\n' : ''),
    );
  });
  return { text: out.join(''), conflicts };
}
