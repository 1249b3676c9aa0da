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
uint32_t CopyUpdate(uint32_t value, uint8_t* dst, const uint8_t* src, size_t len);

}  // namespace shard_crc
