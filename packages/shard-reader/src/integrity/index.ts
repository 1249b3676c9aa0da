// The dataset integrity checks, once: pure functions returning problems, used by openDataset (throws the first) and verify (collects all).
export { bareMessage, formatProblem, problemError, readFailure, type Problem } from './problem.js';
export { NO_MANIFEST, NOT_A_FILE, fileOf, indexSizeProblem, openFailure, shardSizeProblem, type FileRole } from './files.js';
export { headerProblems } from './header.js';
export { INDEX_HASH_MISMATCH, checkIndexBytes, type IndexCheck } from './index-sidecar.js';
export { RECORD_CHECKSUM_MISMATCH, RECORD_OF_ANOTHER_KEY, recordProblem, type RecordExpectation } from './records.js';
export { keyBoundaryProblems, type KeyBounds } from './keys.js';
