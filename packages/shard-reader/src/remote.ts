// shard-reader/remote: object stores (S3, HTTP), the shared download cache and the remote read pieces.
// A subpath of its own so a local reader never loads the AWS SDK; openDataset loads it for URLs only.
export * from './remote/index.js';
