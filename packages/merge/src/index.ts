export { matchCells, type CellMatch, type MatchOptions } from './match.js';
export { isSimilarText, similarityRatio, type SimilarityOptions } from './similarity.js';
export {
  diffNotebooks,
  diffCell,
  diffOutputs,
  diffText,
  diffJson,
  isEmptyDiff,
  diffToJson,
  type NotebookDiff,
  type CellDiff,
  type CellChanges,
  type OutputDiff,
  type OutputChanges,
  type MimeChange,
  type JsonChange,
  type TextDiff,
  type DiffOptions,
} from './diff.js';
export { renderDiff, type RenderOptions } from './render.js';
export { mergeText, type TextMergeOptions, type TextMergeResult } from './merge-text.js';
export { mergeJson, type JsonConflict, type JsonMergeResult } from './merge-json.js';
export { mergeNotebooks, type MergeOptions, type MergeResult, type OutputStrategy } from './merge.js';
export {
  findConflicts,
  findFileConflicts,
  conflictMarkerLines,
  describeConflict,
  CONFLICT_METADATA_KEY,
  type ConflictRecord,
  type ConflictKind,
  type FileConflict,
  type FindConflictsOptions,
} from './conflicts.js';
export { textView } from './textview.js';
export { formatBytes } from './text.js';
