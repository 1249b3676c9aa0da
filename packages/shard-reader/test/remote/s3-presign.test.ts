// Presigned GET URLs of whole downloads: the SDK's middleware stack runs for a bucket's first key only, and
// every URL is byte for byte the one getSignedUrl signs for that key at that time, whatever the addressing
// (path-style, virtual-hosted, IPv6), the credentials (session tokens) or the characters in the key.
// No request is sent: RGW checks these signatures in the remote tests, whose downloads all use them.
import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { GetObjectPresigner } from '../../src/remote/s3-presign.js';

const KEYS = [
  'ds/shard-00001.bin',
  'ds/index-00001.idx',
  "odd/a b+c=d&e~f!g'(h)*i;j:k@l$m,n",
  'unicode/ünïcødé/€😀.bin',
  'dots/x//y/./../z',
  ' leading and trailing ',
  'pct/%41%2F',
];
const AT = new Date('2026-12-01T10:00:00Z');
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** A client whose stack counts the requests it builds: a presign runs the whole stack once. */
function counted(config: S3ClientConfig) {
  const client = new S3Client({ ...config, credentials: config.credentials ?? creds });
  const runs = { n: 0 };
  client.middlewareStack.add((next) => (args) => ((runs.n += 1), next(args)), { step: 'build', name: 'countRuns' });
  return { client, runs };
}

const setups: [string, S3ClientConfig, string][] = [
  ['a custom endpoint, path-style (RGW, MinIO)', { endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', forcePathStyle: true }, 'bench'],
  // What s3ClientFor asks for: no checksum-mode parameter in the query.
  ['checksums only when required', { endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }, 'bench'],
  ['an IPv6 endpoint with a port', { endpoint: 'http://[::1]:7480', region: 'us-east-1', forcePathStyle: true }, 'bench'],
  ['AWS, virtual-hosted', { region: 'eu-west-1' }, 'my-bucket'],
  ['AWS, path-style, a dotted bucket', { region: 'us-west-2', forcePathStyle: true }, 'my.dotted.bucket'],
  ['AWS with a session token', { region: 'ap-southeast-2', credentials: { ...creds, sessionToken: 'FQoGZXIvYXdzEJr//////////wEaDOsession+token/=' } }, 'tokens'],
];

describe('GetObjectPresigner', () => {
  for (const [what, config, bucket] of setups) {
    it(`signs what getSignedUrl signs, running the SDK's stack once: ${what}`, async () => {
      const { client, runs } = counted(config);
      const presigner = new GetObjectPresigner(client, bucket);
      const ours: string[] = [];
      for (const key of KEYS) ours.push(await presigner.url(key, AT));
      expect(runs.n).toBe(1);
      for (const [i, key] of KEYS.entries()) {
        const sdk = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 3600, signingDate: AT });
        expect(ours[i]).toBe(sdk);
      }
      client.destroy();
    });
  }

  it('signs at the time of each call when given none', async () => {
    const { client } = counted(setups[0][1]);
    const presigner = new GetObjectPresigner(client, 'bench');
    await presigner.url('ds/manifest.json');
    const before = Date.now();
    const url = new URL(await presigner.url('ds/shard-00001.bin'));
    const stamp = url.searchParams.get('X-Amz-Date')!;
    const signedAt = Date.parse(stamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(Math.abs(signedAt - before)).toBeLessThan(5000);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    client.destroy();
  });

  it('a first call that fails (no credentials yet) is retried whole by the next', async () => {
    let calls = 0;
    const { client, runs } = counted({
      ...setups[0][1],
      credentials: async () => {
        if (calls++ === 0) throw new Error('no credentials yet');
        return creds;
      },
    });
    const presigner = new GetObjectPresigner(client, 'bench');
    await expect(presigner.url(KEYS[0], AT)).rejects.toThrow('no credentials yet');
    const second = await presigner.url(KEYS[1], AT);
    const third = await presigner.url(KEYS[2], AT);
    const stackRuns = runs.n;
    expect(second).toBe(await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bench', Key: KEYS[1] }), { expiresIn: 3600, signingDate: AT }));
    expect(third).toBe(await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bench', Key: KEYS[2] }), { expiresIn: 3600, signingDate: AT }));
    // The second call went through the stack (the first again, in effect); the third did not.
    expect(stackRuns).toBe(1);
    client.destroy();
  });
});
