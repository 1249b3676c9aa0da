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
