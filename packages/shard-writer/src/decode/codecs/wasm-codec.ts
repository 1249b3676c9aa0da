// Loads a cornerstone WASM codec once per thread and runs one decode through its C++ decoder object.

export interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The decoder classes the emscripten builds export (CharLS JpegLSDecoder, OpenJPEG J2KDecoder, libjpeg-turbo JPEGDecoder). */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getDecodedBuffer(): Uint8Array;
  delete(): void;
  /** CharLS only: 0 means the decoded components come one plane after another. */
  getInterleaveMode?(): number;
}

/** An emscripten module factory; its exports are checked for the decoder class at load. */
export type EmscriptenCodecFactory = (settings?: { print?: (text: string) => void; printErr?: (text: string) => void }) => Promise<Record<string, unknown>>;

// OpenJPEG logs [INFO] lines through emscripten's print; errors still arrive as exceptions.
const quiet = () => {};

export interface WasmDecoded {
  info: FrameInfo;
  /** A copy of the decoder's output bytes (the WASM heap view dies with the decoder). */
  bytes: Uint8Array;
  interleaveMode?: number;
}

/** Memoises a codec module: instantiating the WASM costs ~30 ms, a decode far less. */
export function wasmCodec(load: () => Promise<EmscriptenCodecFactory>, className: string): (encoded: Uint8Array) => Promise<WasmDecoded> {
  let module: Promise<new () => WasmDecoder> | undefined;
  const decoderClass = () =>
    (module ??= load()
      .then((factory) => factory({ print: quiet, printErr: quiet }))
      .then((m) => {
        const cls = m[className];
        if (typeof cls !== 'function') throw new Error(`codec module has no ${className}`);
        return cls as new () => WasmDecoder;
      }));
  return async (encoded) => {
    const Decoder = await decoderClass();
    const decoder = new Decoder();
    try {
      decoder.getEncodedBuffer(encoded.length).set(encoded);
      decoder.decode();
      const info = decoder.getFrameInfo();
      return { info: { ...info }, bytes: decoder.getDecodedBuffer().slice(), interleaveMode: decoder.getInterleaveMode?.() };
    } finally {
      decoder.delete();
    }
  };
}
