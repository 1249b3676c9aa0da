// gather(): one call per batch copies every record of the batch out of the shard mappings into the batch
// buffers and checks each record's CRC-32 and key CRC as it goes, all under the SIGBUS guard.
//
// Why one call per batch, with the CRC fused into the copy: per record, the reader used to make one guarded
// copy() call, then take the CRC in a second call over the copy (28% of a batch in the profile). Here each
// record's image is copied and checksummed in the same pass (shard_crc::CopyUpdate), its small tail (labels,
// key CRC, CRC) is copied to a local buffer, checked, and its labels land in the batch's label buffer. The
// CRC is over the bytes written, never re-read from the mapping, so a record that changes under the
// mapping is caught exactly as a damaged one. Checked images are written with streaming (non-temporal) stores:
// the batch buffer is read by the consumer's thread after the hand-off, not by this one, and skipping the read
// of each destination line takes a C memcpy into rotating buffers from 0.73-0.75x to 0.83-0.85x of one into a
// cache-resident buffer on this machine (scripts/bench/notes/peers.md); unchecked ones (verify off) are copied
// plainly, which measured faster there.
//
// JS API (typed in src/io/addon.ts):
//   gather(mappings, shards, offsets, images, labels, keyCrcs, layout) -> number
//     mappings  array of map() handles indexed by shard (holes for shards this batch does not read)
//     shards    Uint32Array: record i is in mappings[shards[i]]
//     offsets   Float64Array: record i starts at byte offsets[i] of its mapping
//     images    Uint8Array: record i's image goes to bytes [i * imageBytes, (i + 1) * imageBytes)
//     labels    Float32Array: record i's labels go to [i * labelCount, (i + 1) * labelCount)
//     keyCrcs   Uint32Array of each record's expected key CRC, or null to skip both checks
//     layout    Uint32Array [imageBytes, stride, labelsOffset, labelCount, keyCrcOffset, crcOffset]
//   gather(..., layout, stackWidth, pixelBytes): context batches. Every run of stackWidth records is one
//     sample's slices: they are gathered into a row buffer that stays in cache and interleaved from there
//     into images as channels (sample s at s * stackWidth * imageBytes), so the slices never make a round
//     trip through memory between the copy and the stacking.
//   Returns -1 when every record was copied (and passed), else 4 * i + reason for the first record i that
//   failed (1: CRC mismatch, 2: key CRC mismatch); records before i are complete. A SIGBUS throws the
//   mapping fault error of copy() with `record` = i.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "crc32.h"
#include "fault-guard.h"
#include "interleave.h"
#include "mapping.h"

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

struct Layout {
  size_t image_bytes, stride, labels_offset, label_count, key_crc_offset, crc_offset;
};

struct Job {
  size_t n;
  const uint8_t* const* sources;  // record i's first byte in its mapping
  uint8_t* images;
  uint8_t* labels;
  const uint32_t* key_crcs;  // null: no checks
  Layout layout;
  uint8_t* tail;  // scratch for one record's bytes after the image
  size_t stack_width;  // 1: records straight into images; else slices per sample, stacked from `row`
  size_t pixel_bytes;
  uint8_t* row;  // stack_width images
  // Out:
  size_t at;  // the record being read (the one that faulted, after a SIGBUS)
  int reason;
};

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

// Runs under the guard: plain memory work only (no allocation, no N-API), see fault-guard.h.
void Body(void* ctx, shard_guard::Window* window) {
  Job& job = *static_cast<Job*>(ctx);
  const Layout& l = job.layout;
  const size_t tail_bytes = l.crc_offset + 4 - l.image_bytes;
  const size_t label_bytes = 4 * l.label_count;
  for (size_t i = 0; i < job.n; i++) {
    job.at = i;
    const uint8_t* src = job.sources[i];
    const size_t slot = i % job.stack_width;
    uint8_t* image = job.stack_width == 1 ? job.images + i * l.image_bytes : job.row + slot * l.image_bytes;
    window->lo = reinterpret_cast<uintptr_t>(src);
    window->hi = reinterpret_cast<uintptr_t>(src) + l.stride;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    // Straight into the batch buffer, which only another thread reads (after the hand-off): streaming
    // stores. Context slices go to `row`, read back at once for the stacking: ordinary stores.
    const bool stream = job.stack_width == 1;
    if (job.key_crcs != nullptr) {
      uint32_t crc = shard_crc::CopyUpdate(0, image, src, l.image_bytes, stream);
      std::memcpy(job.tail, src + l.image_bytes, tail_bytes);
      crc = shard_crc::Update(crc, job.tail, l.crc_offset - l.image_bytes);
      if (crc != LoadLe32(job.tail + (l.crc_offset - l.image_bytes))) {
        job.reason = 1;
        return;
      }
      if (LoadLe32(job.tail + (l.key_crc_offset - l.image_bytes)) != job.key_crcs[i]) {
        job.reason = 2;
        return;
      }
    } else {
      // No CRC: a plain copy. Streaming stores made this path 0.87x as fast (scripts/bench/peers-gather-ab.ts,
      // quiet machine, 4 rotating buffers), where with the CRC folded in they were even (1.00x).
      std::memcpy(image, src, l.image_bytes);
      std::memcpy(job.tail, src + l.image_bytes, tail_bytes);
    }
    // Labels are little-endian float32 in the record, as in a Float32Array on every platform we build for.
    std::memcpy(job.labels + i * label_bytes, job.tail + (l.labels_offset - l.image_bytes), label_bytes);
    if (job.stack_width > 1 && slot == job.stack_width - 1) {
      shard_interleave::Sample(job.row, job.images + (i - slot) * l.image_bytes, job.stack_width, l.image_bytes / job.pixel_bytes, job.pixel_bytes);
    }
  }
  job.at = job.n;
}

[[noreturn]] void Fail(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, "shard_mmap: gather: " + what);
}

template <typename T>
T TypedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    Fail(info.Env(), std::string(what) + " has the wrong type");
  }
  return info[i].As<T>();
}

Napi::Value Gather(const Napi::CallbackInfo& info) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "labels are copied as little-endian float32");
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[0].IsArray()) Fail(env, "mappings must be an array of map() handles");
  Napi::Array mappings = info[0].As<Napi::Array>();
  auto shards = TypedArg<Napi::Uint32Array>(info, 1, napi_uint32_array, "shards");
  auto offsets = TypedArg<Napi::Float64Array>(info, 2, napi_float64_array, "offsets");
  auto images = TypedArg<Napi::Uint8Array>(info, 3, napi_uint8_array, "images");
  auto labels = TypedArg<Napi::Float32Array>(info, 4, napi_float32_array, "labels");
  bool verify = !info[5].IsNull() && !info[5].IsUndefined();
  Napi::Uint32Array key_crcs;
  if (verify) key_crcs = TypedArg<Napi::Uint32Array>(info, 5, napi_uint32_array, "keyCrcs");
  auto layout_arg = TypedArg<Napi::Uint32Array>(info, 6, napi_uint32_array, "layout");
  if (layout_arg.ElementLength() != 6) Fail(env, "layout must hold 6 numbers");
  Layout l{layout_arg[0], layout_arg[1], layout_arg[2], layout_arg[3], layout_arg[4], layout_arg[5]};
  if (!(l.image_bytes <= l.labels_offset && l.labels_offset + 4 * l.label_count <= l.key_crc_offset &&
        l.key_crc_offset + 4 <= l.crc_offset && l.crc_offset + 4 <= l.stride)) {
    throw Napi::RangeError::New(env, "shard_mmap: gather: layout is not a record layout");
  }
  size_t stack_width = 1;
  size_t pixel_bytes = 1;
  if (info.Length() > 7 && !info[7].IsUndefined()) {
    if (!info[7].IsNumber() || info.Length() < 9 || !info[8].IsNumber()) Fail(env, "stackWidth and pixelBytes must be numbers");
    stack_width = info[7].As<Napi::Number>().Uint32Value();
    pixel_bytes = info[8].As<Napi::Number>().Uint32Value();
    if (stack_width < 1 || pixel_bytes < 1 || l.image_bytes % pixel_bytes != 0) throw Napi::RangeError::New(env, "shard_mmap: gather: stackWidth and pixelBytes must be >= 1, pixelBytes dividing imageBytes");
  }
  size_t n = shards.ElementLength();
  if (n % stack_width != 0) throw Napi::RangeError::New(env, "shard_mmap: gather: the batch is not whole rows of stackWidth records");
  if (offsets.ElementLength() != n) throw Napi::RangeError::New(env, "shard_mmap: gather: shards and offsets differ in length");
  if (verify && key_crcs.ElementLength() < n) throw Napi::RangeError::New(env, "shard_mmap: gather: keyCrcs is shorter than the batch");
  if (images.ByteLength() < n * l.image_bytes) {
    throw Napi::RangeError::New(env, "shard_mmap: gather: images cannot hold " + std::to_string(n) + " records");
  }
  if (labels.ElementLength() < n * l.label_count) throw Napi::RangeError::New(env, "shard_mmap: gather: labels cannot hold " + std::to_string(n) + " records");

  // Resolve every record to its source address before the guard is armed (N-API calls stay outside it).
  std::vector<const uint8_t*> sources(n);
  std::vector<shard_mmap::Mapping*> of(n);
  // Each shard's handle is looked up and checked once per call: a globally shuffled batch changes shard at
  // almost every record, and the array read plus type-tag check per record was most of this call's glue.
  // (A batch reads at most n distinct shards, so a short list searched linearly is enough.)
  const uint32_t shard_count = mappings.Length();
  std::vector<std::pair<uint32_t, shard_mmap::Mapping*>> resolved;
  resolved.reserve(n);
  for (size_t i = 0; i < n; i++) {
    uint32_t s = shards[i];
    shard_mmap::Mapping* mapping = nullptr;
    for (const auto& r : resolved) {
      if (r.first == s) {
        mapping = r.second;
        break;
      }
    }
    if (mapping == nullptr) {
      mapping = s < shard_count ? shard_mmap::MappingOf(env, mappings.Get(s)) : nullptr;
      if (mapping == nullptr) Fail(env, "mappings[" + std::to_string(s) + "] is not a handle returned by map()");
      if (mapping->unmapped) throw Napi::Error::New(env, "shard_mmap: gather needs live mappings (mappings[" + std::to_string(s) + "] is unmapped)");
      resolved.emplace_back(s, mapping);
    }
    double at = offsets[i];
    if (!(at >= 0 && at <= kMaxSafeInteger && std::trunc(at) == at) || static_cast<uint64_t>(at) > mapping->length ||
        l.stride > mapping->length - static_cast<size_t>(at)) {
      throw Napi::RangeError::New(env, "shard_mmap: gather: record " + std::to_string(i) + " at " + std::to_string(at) +
                                           " is outside its mapping (" + std::to_string(mapping->length) + " bytes)");
    }
    sources[i] = static_cast<const uint8_t*>(mapping->addr) + static_cast<size_t>(at);
    of[i] = mapping;
  }
  std::vector<uint8_t> tail(l.crc_offset + 4 - l.image_bytes);
  std::vector<uint8_t> row(stack_width > 1 ? stack_width * l.image_bytes : 0);
  Job job{n, sources.data(), images.Data(), reinterpret_cast<uint8_t*>(labels.Data()), verify ? key_crcs.Data() : nullptr, l, tail.data(), stack_width, pixel_bytes, row.data(), 0, 0};
  uintptr_t fault = 0;
  bool ran = shard_guard::Run(Body, &job, &fault);
  shard_crc::StreamFence();  // the streamed images are complete before JavaScript (or another thread) sees them
  if (!ran) {
    shard_mmap::Mapping* m = of[job.at];
    Napi::Error error = shard_mmap::MappingFault(env, static_cast<uint64_t>(fault - reinterpret_cast<uintptr_t>(m->addr)), m->length);
    error.Set("record", Napi::Number::New(env, static_cast<double>(job.at)));
    throw error;
  }
  if (job.reason != 0) return Napi::Number::New(env, static_cast<double>(4 * job.at + job.reason));
  return Napi::Number::New(env, -1);
}

}  // namespace

// Called from the module's Init (native/mmap.cc).
void InitGather(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
}
