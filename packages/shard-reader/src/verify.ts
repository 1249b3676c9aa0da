// Dataset integrity check behind `shard verify`: manifest, sizes, hashes, headers and every record.
export { verifyDataset, type VerifyOptions, type VerifyReport } from './verify/verify-dataset.js';
export { MAX_RECORD_PROBLEMS_PER_SHARD } from './verify/problems.js';
export { formatProblem, type Problem } from './integrity/index.js';
