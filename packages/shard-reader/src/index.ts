// shard-reader public API (the dataset/shuffle layer will be exported from here too).
export * from './io/index.js';
