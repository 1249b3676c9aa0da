// Encodes an array as a NumPy .npy file (format version 1.0), so users can check samples in numpy.

export function encodeNpy(data: Uint8Array | Uint16Array | Int16Array | Float32Array, shape: number[]): Buffer {
  // Little-endian element types, as the shard format stores them (the reader refuses big-endian hosts).
  const descr = data instanceof Uint8Array ? '|u1' : data instanceof Uint16Array ? '<u2' : data instanceof Int16Array ? '<i2' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + length (2) + header + '\n' is padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
