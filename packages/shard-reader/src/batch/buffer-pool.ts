// Recycles batch buffers the consumer has explicitly released: fresh 2 MiB+ allocations cost more than reading.
// A buffer is only ever reused after release(), so a live tensor can never alias a recycled buffer.

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();

  constructor(private readonly maxPerSize = 16) {}

  take(bytes: number): ArrayBuffer {
    return this.free.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
  }

  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached
    const list = this.free.get(buffer.byteLength) ?? [];
    if (list.length < this.maxPerSize) list.push(buffer);
    this.free.set(buffer.byteLength, list);
  }
}
