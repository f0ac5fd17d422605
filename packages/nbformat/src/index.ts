export * from './types.js';
export { NotebookError, isNotebookError, type NotebookErrorCode } from './errors.js';
export { parse, parseWithoutOutputs, serialize, normalize, toStoredJson, rejoinLines, decodeNotebookBytes, parseNotebookJson, type ParseOptions } from './notebook.js';
export { parseJson, dumpPython, pythonFloatRepr, lineColumn, JsonSyntaxError, type DumpOptions } from './json.js';
export { splitLines, splitAtNewlines, joinLines } from './lines.js';
export { findProblem } from './validate.js';
export { newCellId, sourceText, codeCell, markdownCell, rawCell, emptyNotebook, cloneJson } from './helpers.js';
export { scanOutputs, parseWithOutputsEmptied, type OutputsScan, type OutputsRange } from './outputs-scan.js';
