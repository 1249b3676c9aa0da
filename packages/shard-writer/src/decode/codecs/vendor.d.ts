// Types for the decoder packages that ship none (or whose declared types file is missing).

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (settings?: object) => Promise<Record<string, unknown>>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (settings?: object) => Promise<Record<string, unknown>>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (settings?: object) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    numComp: number;
    decode(buffer: ArrayBufferLike, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

declare module 'daikon/lib/jpeg-baseline.js' {
  /** pdf.js's DCT decoder as kept by daikon: unlike libjpeg-turbo's 8-bit build, it decodes 12-bit (Process 4). */
  export class JpegImage {
    width: number;
    height: number;
    components: unknown[];
    parse(data: Uint8Array): void;
    getData(width: number, height: number): Uint8Array;
    getData16(width: number, height: number): Uint16Array;
  }
  const module: { JpegImage: typeof JpegImage };
  export default module;
}
