// Reads a DICOM file's image attributes (with dicom-parser) and says clearly why a file holds no image.
import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { InputError } from '../errors.js';
import { transferSyntax, type TransferSyntax } from './transfer-syntax.js';

/** Implicit VR little endian: what a file without a Part 10 meta header is read as (the DICOM default). */
const DEFAULT_SYNTAX = '1.2.840.10008.1.2';

export interface DicomImageHeader {
  dataSet: DataSet;
  pixelData: Element;
  syntax: TransferSyntax;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 1: two's-complement signed samples. */
  pixelRepresentation: number;
  /** 1: colour planes one after the other (RRR..GGG..BBB) instead of interleaved. */
  planarConfiguration: number;
  photometric: string;
  frames: number;
}

/**
 * Deflated Explicit VR Little Endian: the data set after the meta header is raw deflate. Done here
 * with zlib on plain Uint8Arrays (dicom-parser's own Node path needs Buffer methods).
 */
function inflate(file: string) {
  return (bytes: Uint8Array, position: number): Uint8Array => {
    let inflated: Uint8Array;
    try {
      inflated = inflateRawSync(bytes.subarray(position));
    } catch (error) {
      throw new InputError(file, `deflated data set is damaged: ${(error as Error).message}`);
    }
    const whole = new Uint8Array(position + inflated.length);
    whole.set(bytes.subarray(0, position));
    whole.set(inflated, position);
    return whole;
  };
}

/** Parses the whole data set; dicom-parser throws strings or `{exception, dataSet}`: both become one line. */
export function parseDicomBytes(file: string, bytes: Uint8Array): DataSet {
  try {
    // The typings say the inflater returns void; dicom-parser reads the returned array.
    return dicomParser.parseDicom(bytes, { TransferSyntaxUID: DEFAULT_SYNTAX, inflater: inflate(file) as unknown as (arr: Uint8Array, position: number) => void });
  } catch (error) {
    if (error instanceof InputError) throw error;
    const partial = (error as { dataSet?: DataSet }).dataSet;
    const message = String((error as { exception?: unknown }).exception ?? (error instanceof Error ? error.message : error));
    if (/buffer overrun|maxPosition/.test(message)) {
      // Also what a wrong VR guess looks like: an element length read from the wrong bytes.
      const where = partial?.elements.x00280010 ? 'the pixel data' : 'a data element';
      throw new InputError(file, `truncated or malformed DICOM: ${where} runs past the end of the file (${bytes.length} bytes)`);
    }
    if (/DICM prefix not found/.test(message)) throw new InputError(file, 'not a DICOM file: no DICM prefix at byte 128');
    throw new InputError(file, `unreadable DICOM: ${message.replace(/^dicomParser[.:]\w*: ?/, '')}`);
  }
}

/** What an object without pixel data is, for the error message (SR, RT plan, waveform...). */
function describeNoImage(ds: DataSet): string {
  const modality = ds.string('x00080060');
  if (ds.elements.x54000100) return `a waveform (Modality ${modality ?? 'unknown'}), not an image`;
  const kind = modality ? `a ${modality} object` : 'an object';
  return `no image: ${kind} without pixel data (SOP Class ${ds.string('x00080016') ?? 'unknown'})`;
}

export function readImageHeader(file: string, ds: DataSet): DicomImageHeader {
  const uid = ds.string('x00020010') ?? DEFAULT_SYNTAX;
  const pixelData = ds.elements.x7fe00010;
  if (!pixelData) {
    if (ds.elements.x7fe00008 || ds.elements.x7fe00009) throw new InputError(file, 'float pixel data (parametric map) is not supported');
    throw new InputError(file, describeNoImage(ds));
  }
  const syntax = transferSyntax(uid);
  if (!syntax) throw new InputError(file, `unsupported transfer syntax ${uid}`);
  const need = (tag: string, name: string): number => {
    const value = ds.uint16(tag);
    if (value === undefined) throw new InputError(file, `image without ${name} (${tag.slice(1, 5)},${tag.slice(5)})`);
    return value;
  };
  const header: DicomImageHeader = {
    dataSet: ds,
    pixelData,
    syntax,
    rows: need('x00280010', 'Rows'),
    columns: need('x00280011', 'Columns'),
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    bitsAllocated: need('x00280100', 'BitsAllocated'),
    bitsStored: 0,
    pixelRepresentation: ds.uint16('x00280103') ?? 0,
    planarConfiguration: ds.uint16('x00280006') ?? 0,
    photometric: (ds.string('x00280004') ?? (ds.uint16('x00280002') === 3 ? 'RGB' : 'MONOCHROME2')).trim().toUpperCase(),
    frames: Math.max(1, ds.intString('x00280008') ?? 1),
  };
  header.bitsStored = ds.uint16('x00280101') ?? header.bitsAllocated;
  if (header.rows === 0 || header.columns === 0) throw new InputError(file, `empty image (${header.rows} x ${header.columns})`);
  if (![8, 16, 32].includes(header.bitsAllocated)) throw new InputError(file, `BitsAllocated ${header.bitsAllocated} is not supported (8, 16 or 32)`);
  if (header.bitsStored < 1 || header.bitsStored > header.bitsAllocated) throw new InputError(file, `BitsStored ${header.bitsStored} does not fit BitsAllocated ${header.bitsAllocated}`);
  if (header.samplesPerPixel !== 1 && header.samplesPerPixel !== 3) throw new InputError(file, `SamplesPerPixel ${header.samplesPerPixel} is not supported (1 or 3)`);
  if (header.photometric === 'PALETTE COLOR') throw new InputError(file, 'PALETTE COLOR images are not supported');
  return header;
}
