// CRC-32 (zlib's) for the other native files: a plain update, and one fused with a copy (native/crc32.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace shard_crc {

/** zlib.crc32(data, value): `value` is a finished CRC (0 to start), and so is the result. */
uint32_t Update(uint32_t value, const uint8_t* data, size_t len);

/**
 * Copies len bytes from src to dst and returns Update(value, src, len) over the bytes read: with
 * PCLMULQDQ in one pass (each 16-byte block loaded once, stored and folded), else piecewise copy then CRC.
 * The result is the CRC of what was written to dst, even if src changes meanwhile.
 */
uint32_t CopyUpdate(uint32_t value, uint8_t* dst, const uint8_t* src, size_t len, bool stream = false);

/**
 * With `stream` (CopyUpdate), dst is written with non-temporal stores where
 * it is 16-byte aligned: for output that this thread will not read again, such as a batch buffer handed to
 * another thread. The stores skip the read of each destination line before it is written (a third of the
 * memory traffic of a gather into buffers that are not in cache) and leave the cache to the source. They
 * are weakly ordered: call StreamFence() before anyone else may read dst.
 */
void StreamFence();

}  // namespace shard_crc
