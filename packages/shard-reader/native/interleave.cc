// interleave(): stacks context slices as channels for a whole batch in one call, the last step of a context
// batch after its gather. JavaScript moved about 1 GB/s here (the pass was most of a context batch's time);
// one-byte pixels (uint8 grey, the common 2.5D case) from 3, 5, 7 or 9 slices go through SSSE3 byte
// shuffles, 16 pixels per step.
//
// JS API (typed in src/io/addon.ts):
//   interleave(src, out, samples, width, pixels, pixelBytes)
//     src  samples x width slices back to back, each `pixels` pixels of `pixelBytes` bytes (any typed array)
//     out  samples x pixels x width pixels: pixel p of sample s holds slice 0's pixel p, then slice 1's, ...
#include <cstdlib>
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "interleave.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define SHARD_HAVE_SSSE3 1
#endif

namespace {

// One sample: `width` planes of `pixels` pixels of kBytes (or `bytes` when kBytes is 0) -> interleaved.
// Pixel-major, so the output is written once, in order, while the width input streams are read in order.
template <size_t kWidth, size_t kBytes>
void Planes(const uint8_t* src, uint8_t* out, size_t width, size_t pixels, size_t bytes) {
  const size_t w = kWidth ? kWidth : width;
  const size_t b = kBytes ? kBytes : bytes;
  const size_t plane = pixels * b;
  for (size_t p = 0; p < pixels; p++) {
    const uint8_t* in = src + p * b;
    uint8_t* o = out + p * w * b;
    for (size_t j = 0; j < w; j++) std::memcpy(o + j * b, in + j * plane, b);
  }
}

template <size_t kBytes>
void PlanesOf(const uint8_t* src, uint8_t* out, size_t width, size_t pixels, size_t bytes) {
  switch (width) {
    case 1: return Planes<1, kBytes>(src, out, width, pixels, bytes);
    case 3: return Planes<3, kBytes>(src, out, width, pixels, bytes);
    case 5: return Planes<5, kBytes>(src, out, width, pixels, bytes);
    case 7: return Planes<7, kBytes>(src, out, width, pixels, bytes);
    default: return Planes<0, kBytes>(src, out, width, pixels, bytes);
  }
}

#ifdef SHARD_HAVE_SSSE3
// One-byte pixels from W planes (2 <= W <= kMaxWidth), 16 pixels per step: output register k (of W) takes
// its byte q from plane j's byte p where 16k + q = W p + j; every plane is shuffled into every register
// with a mask that zeroes the bytes of other planes, then the W shuffles are ORed. W^2 shuffles per 16W
// output bytes: about 5x the scalar loop for W = 3 or 5.
constexpr size_t kMaxWidth = 9;
alignas(16) uint8_t g_masks[kMaxWidth + 1][kMaxWidth][kMaxWidth][16];  // [W][output k][plane j][q]

void InitMasks() {
  for (size_t w = 2; w <= kMaxWidth; w++)
    for (size_t k = 0; k < w; k++)
      for (size_t q = 0; q < 16; q++) {
        size_t o = 16 * k + q;
        for (size_t j = 0; j < w; j++) g_masks[w][k][j][q] = (o % w == j) ? static_cast<uint8_t>(o / w) : 0x80;
      }
}

template <size_t W>
__attribute__((target("ssse3"))) void BytePlanes(const uint8_t* src, uint8_t* out, size_t pixels) {
  __m128i in[W];
  size_t p = 0;
  for (; p + 16 <= pixels; p += 16) {
    for (size_t j = 0; j < W; j++) in[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + j * pixels + p));
    for (size_t k = 0; k < W; k++) {
      __m128i v = _mm_setzero_si128();
      for (size_t j = 0; j < W; j++) v = _mm_or_si128(v, _mm_shuffle_epi8(in[j], _mm_load_si128(reinterpret_cast<const __m128i*>(g_masks[W][k][j]))));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + W * p + 16 * k), v);
    }
  }
  for (; p < pixels; p++)
    for (size_t j = 0; j < W; j++) out[W * p + j] = src[j * pixels + p];
}

bool g_ssse3 = false;
#endif

}  // namespace

void shard_interleave::Sample(const uint8_t* src, uint8_t* out, size_t width, size_t pixels, size_t bytes) {
#ifdef SHARD_HAVE_SSSE3
  if (g_ssse3 && bytes == 1) {
    switch (width) {
      case 3: return BytePlanes<3>(src, out, pixels);
      case 5: return BytePlanes<5>(src, out, pixels);
      case 7: return BytePlanes<7>(src, out, pixels);
      case 9: return BytePlanes<9>(src, out, pixels);
      default: break;
    }
  }
#endif
  switch (bytes) {
    case 1: return PlanesOf<1>(src, out, width, pixels, bytes);
    case 2: return PlanesOf<2>(src, out, width, pixels, bytes);
    case 3: return PlanesOf<3>(src, out, width, pixels, bytes);
    case 4: return PlanesOf<4>(src, out, width, pixels, bytes);
    default: return PlanesOf<0>(src, out, width, pixels, bytes);
  }
}

namespace {

using shard_interleave::Sample;

uint8_t* BytesOf(Napi::TypedArray a) { return static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(); }

size_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string("interleave: ") + name + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 9007199254740991.0) || static_cast<double>(static_cast<uint64_t>(v)) != v) {
    throw Napi::RangeError::New(info.Env(), std::string("interleave: ") + name + " must be a non-negative integer");
  }
  return static_cast<size_t>(v);
}

Napi::Value Interleave(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) {
    throw Napi::TypeError::New(env, "interleave(src: TypedArray, out: TypedArray, samples, width, pixels, pixelBytes)");
  }
  Napi::TypedArray src = info[0].As<Napi::TypedArray>();
  Napi::TypedArray out = info[1].As<Napi::TypedArray>();
  size_t samples = SizeArg(info, 2, "samples");
  size_t width = SizeArg(info, 3, "width");
  size_t pixels = SizeArg(info, 4, "pixels");
  size_t bytes = SizeArg(info, 5, "pixelBytes");
  // Overflow-safe: each factor is bounded by the byte lengths checked against.
  double need = static_cast<double>(samples) * static_cast<double>(width) * static_cast<double>(pixels) * static_cast<double>(bytes);
  if (need > static_cast<double>(src.ByteLength()) || need > static_cast<double>(out.ByteLength())) {
    throw Napi::RangeError::New(env, "interleave: src and out must each hold samples x width x pixels x pixelBytes bytes");
  }
  const uint8_t* in = BytesOf(src);
  uint8_t* o = BytesOf(out);
  if (need > 0 && in < o + static_cast<size_t>(need) && o < in + static_cast<size_t>(need)) {
    throw Napi::RangeError::New(env, "interleave: src and out overlap");
  }
  const size_t per = width * pixels * bytes;
  for (size_t s = 0; s < samples; s++) Sample(in + s * per, o + s * per, width, pixels, bytes);
  return env.Undefined();
}

}  // namespace

// Called from the module's Init (native/mmap.cc).
void InitInterleave(Napi::Env env, Napi::Object exports) {
#ifdef SHARD_HAVE_SSSE3
  __builtin_cpu_init();
  g_ssse3 = __builtin_cpu_supports("ssse3") && std::getenv("SHARD_READER_PORTABLE") == nullptr;  // see crc32.cc
  InitMasks();
#endif
  exports.Set("interleave", Napi::Function::New(env, Interleave, "interleave"));
  exports.Set("interleaveSimd", Napi::Boolean::New(env, g_ssse3));
}
