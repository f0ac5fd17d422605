// One export line per module; each module is one concept.
export { runPreCommit, restageAfterPartialCommit, type PreCommitOptions, type PreCommitReport } from './precommit.js';
