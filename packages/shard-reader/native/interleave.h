// Context stacking for the other native files (native/interleave.cc): one sample's slices into channels.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shard_interleave {

/** `width` planes of `pixels` pixels of `pixelBytes` bytes each, back to back in src -> out[p][j]. */
void Sample(const uint8_t* src, uint8_t* out, size_t width, size_t pixels, size_t pixelBytes);

}  // namespace shard_interleave
