// Reads a DICOM file's attributes before its pixel data from the file's first bytes, for planning (frame counts).
import { open } from 'node:fs/promises';
import dicomParser, { type DataSet } from 'dicom-parser';
import { parseDicomBytes } from './decode/dicom-header.js';

/** Enough for the header of nearly every file; discovery used to read and parse each file whole, pixel data included. */
const HEAD_BYTES = 64 << 10;

/**
 * The data set up to (and including the element header of) Pixel Data. Parsed from the first
 * HEAD_BYTES when they hold it; otherwise (a long header, a deflated data set, no pixel data) from the
 * whole file, exactly as the decoder parses it. Throws like parseDicomBytes.
 */
export async function readDicomHead(file: string): Promise<DataSet> {
  const handle = await open(file, 'r');
  let head: Uint8Array;
  let size: number;
  try {
    size = (await handle.stat()).size;
    if (size > HEAD_BYTES) {
      head = new Uint8Array(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      const ds = headOf(head.subarray(0, bytesRead));
      if (ds) return ds;
    }
    const whole = await handle.readFile();
    return parseDicomBytes(file, new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength));
  } finally {
    await handle.close();
  }
}

/** The data set when these first bytes reach Pixel Data, else undefined (the caller reads the whole file). */
function headOf(bytes: Uint8Array): DataSet | undefined {
  try {
    const ds = dicomParser.parseDicom(bytes, { TransferSyntaxUID: '1.2.840.10008.1.2', untilTag: 'x7fe00010' });
    return ds.elements.x7fe00010 ? ds : undefined;
  } catch {
    return undefined; // the header runs past these bytes, or a deflated data set: parse the whole file
  }
}
