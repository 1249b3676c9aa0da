// Presigned GetObject URLs for the keys of one bucket, for the whole downloads (socket-get.ts).
//
// getSignedUrl runs the client's whole middleware stack on every call (serializer, endpoint rules, a new
// signer): in a fresh process, a median of 1.4-1.5 ms of CPU, 39-43 ms for the eight after the first (what a
// download thread pays in one epoch of 16 shards; scripts/bench/presign-cost.ts). What it resolves depends on
// the bucket and the client's settings, not on the key (the SDK's endpoint cache does not key on Key), so the
// first call's URL gives the endpoint and signing scope, and every later key is signed by the SDK's own
// S3RequestPresigner: byte-identical URLs (test/remote/s3-presign.test.ts), for a median of 0.23-0.30 ms.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatUrl } from '@aws-sdk/core/util';
import { S3RequestPresigner, getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** What the first URL fixed: where keys go, and the scope to sign them for. */
interface Resolved {
  protocol: string;
  hostname: string;
  port?: number;
  /** The URL path before the encoded key ('/bucket/' path-style, '/' virtual-hosted). */
  base: string;
  /** The request's own query (x-id, x-amz-checksum-mode...): all but what the signer adds. */
  query: Record<string, string>;
  region: string;
  service: string;
  signer: S3RequestPresigner;
}

/** What SigV4 query signing adds to a request's query. */
const SIGNER_PARAMS = new Set(['X-Amz-Algorithm', 'X-Amz-Content-Sha256', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-Security-Token', 'X-Amz-Signature', 'X-Amz-SignedHeaders']);

/** The SDK's encoding of a key in a URL path: encodeURIComponent per '/'-segment, and !'()* too. */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

export class GetObjectPresigner {
  /**
   * Set by the first call; resolves to undefined when this bucket is signed some other way (SigV4a, S3 Express
   * sessions) or its URL cannot be taken apart: every key then keeps the SDK's path.
   */
  private resolved?: Promise<Resolved | undefined>;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly expiresIn = 3600,
  ) {}

  /** A presigned GET URL for key (the bucket's whole key, prefix included). */
  async url(key: string, signingDate?: Date): Promise<string> {
    if (!this.resolved) {
      const first = this.sdkUrl(key, signingDate);
      const resolved = first.then((u) => this.resolve(u, key));
      this.resolved = resolved;
      // A failure (no credentials yet, say) is this call's; the next one starts over.
      resolved.catch(() => {
        if (this.resolved === resolved) this.resolved = undefined;
      });
      return first;
    }
    const r = await this.resolved;
    if (!r) return this.sdkUrl(key, signingDate);
    const request = { protocol: r.protocol, hostname: r.hostname, port: r.port, method: 'GET', path: r.base + encodeKeyPath(key), query: { ...r.query }, headers: {} };
    // HttpRequest-shaped: the signer clones what it is given into one.
    const signed = await r.signer.presign(request as Parameters<S3RequestPresigner['presign']>[0], { expiresIn: this.expiresIn, signingRegion: r.region, signingService: r.service, signingDate });
    return formatUrl(signed);
  }

  private sdkUrl(key: string, signingDate?: Date): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.expiresIn, signingDate });
  }

  /**
   * The endpoint, query and scope of a URL the SDK signed for key, when it is plain SigV4 over the host
   * header alone, with the key at the end of the path.
   */
  private resolve(signed: string, key: string): Resolved | undefined {
    const q = signed.indexOf('?');
    // The path is taken as text: URL parsing would resolve a key's '.' and '..' segments.
    const head = q < 0 ? signed : signed.slice(0, q);
    const url = new URL(signed);
    const params = url.searchParams;
    const scope = params.get('X-Amz-Credential')?.split('/');
    const encoded = encodeKeyPath(key);
    const plain = params.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256' && params.get('X-Amz-SignedHeaders') === 'host' && !params.has('X-Amz-S3session-Token');
    if (!plain || scope?.length !== 5 || !head.endsWith(encoded) || !head.startsWith(url.origin)) return undefined;
    const [, , region, service] = scope;
    const query: Record<string, string> = {};
    for (const [k, v] of params) if (!SIGNER_PARAMS.has(k)) query[k] = v;
    const signer = new S3RequestPresigner({ ...this.client.config, signingName: service, region: async () => region });
    return { protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, base: head.slice(url.origin.length, head.length - encoded.length), query, region, service, signer };
  }
}
