// Connection options of S3 stores: plain data, so a store can be rebuilt from them in another thread.
export interface S3Options {
  /**
   * Endpoint of an S3-compatible store, e.g. http://127.0.0.1:7480. Default: AWS_ENDPOINT_URL_S3, then
   * AWS_ENDPOINT_URL, then AWS itself.
   */
  endpoint?: string;
  /** Path-style addressing (http://host/bucket/key). Default: on whenever a custom endpoint is set. */
  forcePathStyle?: boolean;
  /** Default: the SDK's chain (AWS_REGION, profile...), us-east-1 for a custom endpoint that names none. */
  region?: string;
  /** Parallel connections to the store (default 16). */
  maxSockets?: number;
}
