// The Quick start demo: synthetic CT set -> shard build -> inspect -> verify -> export -> a short training run.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main as shard, userCwd } from 'shard-cli';
import { makeSyntheticSet } from './make-synthetic.js';
import { train } from './train.js';

const root = path.resolve(import.meta.dirname, '..', 'demo-data');
const slices = path.join(root, 'slices');
const shards = path.join(root, 'shards');

async function step(args: string[]): Promise<void> {
  process.stdout.write(`\n$ shard ${args.join(' ')}\n`);
  const code = await shard(args);
  if (code !== 0) {
    process.stderr.write(`demo: 'shard ${args[0]}' exited with ${code}\n`);
    process.exit(code);
  }
}

rmSync(root, { recursive: true, force: true });
process.stdout.write(`$ make-synthetic --out ${path.relative(userCwd(), slices)} --patients 6 --slices 24 --size 64 (16-bit PNG)\n`);
const made = await makeSyntheticSet({ out: slices, patients: 6, slices: 24, size: 64, bits: 16, seed: 1, splits: ['train', 'val'] });
process.stdout.write(`wrote ${made.slices} slices\n`);

// Relative to where the user ran `pnpm demo`, which is what the CLI resolves them against.
const rel = (p: string) => path.relative(userCwd(), p);
await step(['build', rel(path.join(slices, 'train')), '--out', rel(path.join(shards, 'train')), '--size', '32', '--shard-bytes', '64KiB']);
await step(['build', rel(path.join(slices, 'val')), '--out', rel(path.join(shards, 'val')), '--size', '32', '--shard-bytes', '64KiB']);
await step(['inspect', rel(path.join(shards, 'train'))]);
await step(['verify', rel(path.join(shards, 'train'))]);
await step(['export', rel(path.join(shards, 'train')), '--out', rel(path.join(root, 'export')), '--format', 'png', '--limit', '3']);
await step(['order', rel(path.join(shards, 'train')), '--seed', '7', '--batch-size', '8', '--batches', '--world-size', '2', '--rank', '0', '--shuffle', 'block', '--block-shards', '2']);

// A small DICOM set from the test fixtures (pydicom's CT and MR samples in several transfer syntaxes):
// modality values (HU for the CT) kept as float32, then the three-window uint8 stack the RSNA winners used.
const dicom = path.join(root, 'dicom');
const fixtures = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'dicom');
for (const [dir, files] of [['ct', ['CT_small.dcm', 'CT_small_jpeg_lossless.dcm', 'CT_small_jpeg_ls_near2.dcm']], ['mr', ['MR_small.dcm', 'MR_small_RLE.dcm', 'MR_small_jp2klossless.dcm']]] as const) {
  mkdirSync(path.join(dicom, dir), { recursive: true });
  for (const f of files) copyFileSync(path.join(fixtures, f), path.join(dicom, dir, f));
  writeFileSync(path.join(dicom, dir, 'labels.csv'), ['file,haemorrhage', ...files.map((f, i) => `${f},${i % 2}`)].join('\n') + '\n');
}
await step(['build', rel(dicom), '--out', rel(path.join(shards, 'dicom-hu')), '--size', '64', '--dtype', 'float32']);
await step(['build', rel(path.join(dicom, 'ct')), '--out', rel(path.join(shards, 'dicom-windows')), '--size', '64', '--windows', 'brain,subdural,bone']);
await step(['inspect', rel(path.join(shards, 'dicom-windows'))]);

process.stdout.write('\n$ train --data demo-data/shards/train --val demo-data/shards/val --epochs 2\n');
await train({ data: path.join(shards, 'train'), val: path.join(shards, 'val'), epochs: 2, batchSize: 16, seed: 1, log: (line) => process.stdout.write(line + '\n') });
process.stdout.write('\ndemo: done\n');
