// shard_mmap: read-only mmap of shard files behind opaque handles, guarded copies out of them, and
// madvise/posix_fadvise hints.
//
// Why JavaScript never sees mapped memory. A mapping of a file that is truncated or rewritten in place
// (`cp other/shard-00003.bin ds/` truncates first) turns every access past the new end into SIGBUS, and
// a SIGBUS in JavaScript or in V8's own memcpy kills the training. So map() returns an opaque handle,
// never an ArrayBuffer, and the only way to read a mapping is copy(), which copies into an ordinary
// buffer under a SIGBUS guard (fault-guard.cc: one process-wide sigaction handler, a thread-local jump
// buffer armed only around the memcpy, siglongjmp back out; a SIGBUS anywhere else goes to the previous
// handler or kills the process as it would have). A faulting copy throws an Error with code
// ERR_SHARD_MAPPING_FAULT, which the reader turns into one naming the shard. Checksums are then taken
// over the copy, so bytes that changed under the mapping are caught like any damage. The guard costs
// one sigsetjmp (no syscall) per copy. pread, the other backend, needs none of this: a short read is an
// ordinary error.
//
// JS API (wrapped by src/io/native.ts):
//   map(fd, offset, length) -> Mapping        read-only MAP_SHARED mapping of [offset, offset + length)
//   copy(mapping, offset, target, targetOffset, length[, target2, target2Offset, length2])
//                                             copies mapping bytes [offset, offset + length) into target,
//                                             then the next length2 bytes into target2, under the guard
//   gather(...)                               a whole batch of records, CRCs checked (native/gather.cc)
//   interleave(...)                           context slices stacked as channels (native/interleave.cc)
//   unmap(mapping) -> boolean                 munmap now; false if it was already unmapped
//   advise(mapping, offset, length, hint)     madvise on part of a mapping (offset rounded down to a page)
//   fadvise(fd, offset, length, hint)         posix_fadvise on a file (length 0 = to the end of the file)
//   liveMappings() -> number                  mappings currently mapped in this process
//   pageSize                                  the system page size in bytes
//
// Ownership: a Mapping handle is a type-tagged napi External. Its GC finalizer unmaps it unless unmap()
// already did, and frees the record. A handle is only ever used on the thread (JS environment) that
// created it, so its record needs no lock.

#include <napi.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errno-name.h"
#include "fault-guard.h"
#include "mapping.h"

void InitCrc32(Napi::Env env, Napi::Object exports);  // native/crc32.cc
void InitConvert(Napi::Env env, Napi::Object exports);  // native/convert.cc
void InitGather(Napi::Env env, Napi::Object exports);  // native/gather.cc
void InitInterleave(Napi::Env env, Napi::Object exports);  // native/interleave.cc
void InitPump(Napi::Env env, Napi::Object exports);  // native/pump.cc

using shard_mmap::Mapping;

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

// Marks our External handles, so a foreign External is refused instead of dereferenced.
constexpr napi_type_tag kMappingTag = {0x5f8c1e0a2d7b4c93ULL, 0xa41e6d2b9c0f3857ULL};

std::atomic<int64_t> g_live_count{0};

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

const char* ErrnoName(int err) { return shard_errno::Name(err); }

[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, int err) {
  Napi::Error error =
      Napi::Error::New(env, std::string("shard_mmap: ") + syscall + " failed: " + std::strerror(err));
  error.Set("code", Napi::String::New(env, ErrnoName(err)));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  throw error;
}

// A non-negative safe integer argument, else TypeError (not a number) or RangeError.
uint64_t IndexArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(env, std::string("shard_mmap: ") + name + " must be a number");
  }
  double value = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::trunc(value) != value) {
    throw Napi::RangeError::New(env, std::string("shard_mmap: ") + name + " must be an integer");
  }
  if (value < 0) {
    throw Napi::RangeError::New(env, std::string("shard_mmap: ") + name + " must not be negative");
  }
  if (value > kMaxSafeInteger) {
    throw Napi::RangeError::New(env, std::string("shard_mmap: ") + name + " is too large");
  }
  return static_cast<uint64_t>(value);
}

int FdArg(const Napi::CallbackInfo& info, size_t i) {
  uint64_t fd = IndexArg(info, i, "fd");
  if (fd > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    throw Napi::RangeError::New(info.Env(), "shard_mmap: fd is out of range");
  }
  return static_cast<int>(fd);
}

}  // namespace

namespace shard_mmap {

Mapping* MappingOf(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal()) return nullptr;
  bool ours = false;
  if (napi_check_object_type_tag(env, value, &kMappingTag, &ours) != napi_ok || !ours) return nullptr;
  return value.As<Napi::External<Mapping>>().Data();
}

Napi::Error MappingFault(Napi::Env env, uint64_t at, size_t length) {
  Napi::Error error = Napi::Error::New(
      env, "shard_mmap: SIGBUS reading byte " + std::to_string(at) + " of a " + std::to_string(length) +
               "-byte mapping: the file is shorter than when it was mapped (truncated or rewritten in place), or its page could not be read");
  error.Set("code", Napi::String::New(env, "ERR_SHARD_MAPPING_FAULT"));
  error.Set("faultOffset", Napi::Number::New(env, static_cast<double>(at)));
  return error;
}

}  // namespace shard_mmap

namespace {

// The Mapping behind a handle from map(); TypeError for anything else.
Mapping* MappingArg(const Napi::CallbackInfo& info, size_t i) {
  Mapping* mapping = i < info.Length() ? shard_mmap::MappingOf(info.Env(), info[i]) : nullptr;
  if (mapping != nullptr) return mapping;
  throw Napi::TypeError::New(info.Env(), "shard_mmap: mapping must be a handle returned by map()");
}

// A Mapping that is still mapped.
Mapping* LiveMappingArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Mapping* mapping = MappingArg(info, i);
  if (mapping->unmapped) throw Napi::Error::New(info.Env(), std::string("shard_mmap: ") + what + " needs a live mapping (this one is unmapped)");
  return mapping;
}

// A Uint8Array argument: its bytes and length.
uint8_t* BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t* length) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string("shard_mmap: ") + name + " must be a Uint8Array");
  }
  Napi::Uint8Array array = info[i].As<Napi::Uint8Array>();
  *length = array.ByteLength();
  return array.Data();
}

std::string HintArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(),
                               "shard_mmap: hint must be 'sequential', 'random', 'willneed' or 'dontneed'");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

[[noreturn]] void BadHint(Napi::Env env, const std::string& hint) {
  throw Napi::TypeError::New(env, "shard_mmap: unknown hint '" + hint +
                                      "' (expected 'sequential', 'random', 'willneed' or 'dontneed')");
}

int MadviseHint(Napi::Env env, const std::string& hint) {
  if (hint == "sequential") return MADV_SEQUENTIAL;
  if (hint == "random") return MADV_RANDOM;
  if (hint == "willneed") return MADV_WILLNEED;
  if (hint == "dontneed") return MADV_DONTNEED;
  BadHint(env, hint);
}

int FadviseHint(Napi::Env env, const std::string& hint) {
  if (hint == "sequential") return POSIX_FADV_SEQUENTIAL;
  if (hint == "random") return POSIX_FADV_RANDOM;
  if (hint == "willneed") return POSIX_FADV_WILLNEED;
  if (hint == "dontneed") return POSIX_FADV_DONTNEED;
  BadHint(env, hint);
}

// Runs when the handle is collected (or its environment torn down, as when a worker thread ends).
void FinalizeMapping(Napi::Env /*env*/, Mapping* mapping) {
  if (!mapping->unmapped) {
    munmap(mapping->addr, mapping->length);
    g_live_count.fetch_sub(1);
  }
  delete mapping;
}

Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  uint64_t offset = IndexArg(info, 1, "offset");
  uint64_t length = IndexArg(info, 2, "length");
  if (length == 0) {
    throw Napi::RangeError::New(env, "shard_mmap: length must be greater than 0 (an empty range cannot be mapped)");
  }
  if (offset % PageSize() != 0) {
    throw Napi::RangeError::New(env, "shard_mmap: offset " + std::to_string(offset) +
                                         " is not a multiple of the page size (" + std::to_string(PageSize()) + ")");
  }
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowErrno(env, "fstat", errno);
  if (!S_ISREG(st.st_mode)) {
    throw Napi::TypeError::New(env, "shard_mmap: fd " + std::to_string(fd) + " is not a regular file");
  }
  uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (offset > file_size || length > file_size - offset) {
    throw Napi::RangeError::New(env, "shard_mmap: range [" + std::to_string(offset) + ", " +
                                         std::to_string(offset + length) + ") is past the end of the file (" +
                                         std::to_string(file_size) + " bytes)");
  }
  if (length > static_cast<uint64_t>(std::numeric_limits<size_t>::max())) {
    throw Napi::RangeError::New(env, "shard_mmap: length does not fit in the address space");
  }
  // Never hand out a mapping that could be read unguarded.
  int guard_error = 0;
  if (!shard_guard::Install(&guard_error)) ThrowErrno(env, "sigaction(SIGBUS)", guard_error);

  void* addr = mmap(nullptr, static_cast<size_t>(length), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (addr == MAP_FAILED) ThrowErrno(env, "mmap", errno);

  Mapping* mapping = new Mapping{addr, static_cast<size_t>(length), false};
  g_live_count.fetch_add(1);
  Napi::External<Mapping> handle;
  try {
    handle = Napi::External<Mapping>::New(env, mapping, FinalizeMapping);
  } catch (...) {
    munmap(addr, mapping->length);
    g_live_count.fetch_sub(1);
    delete mapping;
    throw;
  }
  // From here the finalizer owns the record.
  if (napi_type_tag_object(env, handle, &kMappingTag) != napi_ok) {
    throw Napi::Error::New(env, "shard_mmap: could not tag the mapping handle");
  }
  return handle;
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Mapping* mapping = MappingArg(info, 0);
  if (mapping->unmapped) return Napi::Boolean::New(info.Env(), false);
  mapping->unmapped = true;
  munmap(mapping->addr, mapping->length);
  g_live_count.fetch_sub(1);
  return Napi::Boolean::New(info.Env(), true);
}

Napi::Value Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Mapping* mapping = LiveMappingArg(info, 0, "advise");
  uint64_t offset = IndexArg(info, 1, "offset");
  uint64_t length = IndexArg(info, 2, "length");
  int advice = MadviseHint(env, HintArg(info, 3));
  if (offset > mapping->length || length > mapping->length - offset) {
    throw Napi::RangeError::New(env, "shard_mmap: advise range [" + std::to_string(offset) + ", " +
                                         std::to_string(offset + length) + ") is outside the mapping (" +
                                         std::to_string(mapping->length) + " bytes)");
  }
  if (length == 0) return env.Undefined();
  uintptr_t start = reinterpret_cast<uintptr_t>(mapping->addr) + static_cast<uintptr_t>(offset);
  uintptr_t aligned = start & ~(static_cast<uintptr_t>(PageSize()) - 1);
  size_t span = static_cast<size_t>(start + length - aligned);
  if (madvise(reinterpret_cast<void*>(aligned), span, advice) != 0) ThrowErrno(env, "madvise", errno);
  return env.Undefined();
}

// One destination of copy(): `length` bytes into target[at...]. Throws unless they fit.
shard_guard::Span TargetSpan(const Napi::CallbackInfo& info, size_t i, const char* name, const uint8_t* src) {
  Napi::Env env = info.Env();
  size_t target_length = 0;
  uint8_t* target = BytesArg(info, i, name, &target_length);
  uint64_t at = IndexArg(info, i + 1, "targetOffset");
  uint64_t length = IndexArg(info, i + 2, "length");
  if (at > target_length || length > target_length - at) {
    throw Napi::RangeError::New(env, "shard_mmap: " + std::to_string(length) + " bytes do not fit in " + name + " (" +
                                         std::to_string(target_length) + " bytes) at " + std::to_string(at));
  }
  return shard_guard::Span{target + at, src, static_cast<size_t>(length)};
}

Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Mapping* mapping = LiveMappingArg(info, 0, "copy");
  uint64_t offset = IndexArg(info, 1, "offset");
  if (offset > mapping->length) {
    throw Napi::RangeError::New(env, "shard_mmap: copy offset " + std::to_string(offset) + " is outside the mapping (" +
                                         std::to_string(mapping->length) + " bytes)");
  }
  const uint8_t* base = static_cast<const uint8_t*>(mapping->addr);
  shard_guard::Span spans[2];
  size_t count = 1;
  spans[0] = TargetSpan(info, 2, "target", base + offset);
  uint64_t total = spans[0].length;
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    spans[1] = TargetSpan(info, 5, "target2", base + offset + spans[0].length);
    total += spans[1].length;
    count = 2;
  }
  if (total > mapping->length - offset) {
    throw Napi::RangeError::New(env, "shard_mmap: copy range [" + std::to_string(offset) + ", " +
                                         std::to_string(offset + total) + ") is outside the mapping (" +
                                         std::to_string(mapping->length) + " bytes)");
  }
  uintptr_t fault = 0;
  if (!shard_guard::Copy(spans, count, &fault)) {
    uint64_t at = static_cast<uint64_t>(fault - reinterpret_cast<uintptr_t>(mapping->addr));
    throw shard_mmap::MappingFault(env, at, mapping->length);
  }
  return env.Undefined();
}

Napi::Value Fadvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info, 0);
  uint64_t offset = IndexArg(info, 1, "offset");
  uint64_t length = IndexArg(info, 2, "length");
  int advice = FadviseHint(env, HintArg(info, 3));
  int err = posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length), advice);
  if (err != 0) ThrowErrno(env, "posix_fadvise", err);
  return env.Undefined();
}

Napi::Value LiveMappings(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_live_count.load()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitCrc32(env, exports);
  InitConvert(env, exports);
  InitGather(env, exports);
  InitInterleave(env, exports);
  InitPump(env, exports);
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("advise", Napi::Function::New(env, Advise, "advise"));
  exports.Set("fadvise", Napi::Function::New(env, Fadvise, "fadvise"));
  exports.Set("liveMappings", Napi::Function::New(env, LiveMappings, "liveMappings"));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  return exports;
}

}  // namespace

NODE_API_MODULE(shard_mmap, Init)
