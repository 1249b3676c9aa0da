// Dataset integrity check behind `shard verify`: manifest, sizes, hashes, headers and every record.
export { verifyDataset, type VerifyOptions, type VerifyReport } from './verify/verify-dataset.js';
export { formatProblem, MAX_RECORD_PROBLEMS_PER_SHARD, type Problem } from './verify/problems.js';
