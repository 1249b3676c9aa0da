// shard_mmap: read-only mmap of shard files as external ArrayBuffers, plus madvise/posix_fadvise hints.
//
// JS API (wrapped by src/io/native.ts):
//   map(fd, offset, length) -> ArrayBuffer   read-only MAP_SHARED mapping of [offset, offset + length)
//   unmap(buffer) -> boolean                  munmap now and detach the buffer; false if not a live mapping
//   advise(buffer, offset, length, hint)      madvise on part of a mapping (offset rounded down to a page)
//   fadvise(fd, offset, length, hint)         posix_fadvise on a file (length 0 = to the end of the file)
//   liveMappings() -> number                  mappings currently mapped in this process
//   pageSize                                  the system page size in bytes
//
// Ownership: each mapping has a Mapping record. The ArrayBuffer's GC finalizer unmaps it unless an
// explicit unmap() already did; the record itself is freed only by the finalizer. A registry keyed by
// base address (only live mappings are in it) lets unmap()/advise() find the record for a buffer.

#include <napi.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void InitCrc32(Napi::Env env, Napi::Object exports);  // native/crc32.cc
void InitConvert(Napi::Env env, Napi::Object exports);  // native/convert.cc

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

struct Mapping {
  void* addr;
  size_t length;
  bool unmapped;
};

std::mutex g_mutex;                               // guards g_live and Mapping::unmapped
std::unordered_map<void*, Mapping*> g_live;       // base address -> record, while mapped
std::atomic<int64_t> g_live_count{0};

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

const char* ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
#endif
  (void)err;
  return "EUNKNOWN";
}

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

// The ArrayBuffer behind an ArrayBuffer, TypedArray or DataView argument.
Napi::ArrayBuffer BufferArg(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length()) {
    Napi::Value v = info[i];
    if (v.IsArrayBuffer()) return v.As<Napi::ArrayBuffer>();
    if (v.IsTypedArray()) return v.As<Napi::TypedArray>().ArrayBuffer();
    if (v.IsDataView()) return v.As<Napi::DataView>().ArrayBuffer();
  }
  throw Napi::TypeError::New(info.Env(), "shard_mmap: buffer must be an ArrayBuffer or a view of one");
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

// Runs when the ArrayBuffer is collected (or its backing store released after a detach).
void FinalizeMapping(Napi::Env /*env*/, void* /*data*/, Mapping* mapping) {
  bool must_unmap = false;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!mapping->unmapped) {
      mapping->unmapped = true;
      auto it = g_live.find(mapping->addr);
      if (it != g_live.end() && it->second == mapping) g_live.erase(it);
      must_unmap = true;
    }
  }
  if (must_unmap) {
    munmap(mapping->addr, mapping->length);
    g_live_count.fetch_sub(1);
  }
  delete mapping;
}

// The live mapping whose whole range is `buffer`, or nullptr (unmapped, detached or not ours).
Mapping* FindLive(Napi::ArrayBuffer buffer) {
  void* data = buffer.Data();
  if (data == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_live.find(data);
  if (it == g_live.end() || it->second->unmapped || it->second->length != buffer.ByteLength()) return nullptr;
  return it->second;
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

  void* addr = mmap(nullptr, static_cast<size_t>(length), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
  if (addr == MAP_FAILED) ThrowErrno(env, "mmap", errno);

  Mapping* mapping = new Mapping{addr, static_cast<size_t>(length), false};
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_live[addr] = mapping;
  }
  g_live_count.fetch_add(1);
  try {
    return Napi::ArrayBuffer::New(env, addr, mapping->length, FinalizeMapping, mapping);
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_live.erase(addr);
    }
    munmap(addr, mapping->length);
    g_live_count.fetch_sub(1);
    delete mapping;
    throw;
  }
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer buffer = BufferArg(info, 0);
  Mapping* mapping;
  void* addr;
  size_t length;
  {
    void* data = buffer.Data();
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = data == nullptr ? g_live.end() : g_live.find(data);
    if (it == g_live.end() || it->second->unmapped || it->second->length != buffer.ByteLength()) {
      return Napi::Boolean::New(env, false);  // already unmapped (detached), or not a mapping
    }
    mapping = it->second;
    // Claim the mapping before detaching: if detaching releases the backing store and the
    // finalizer runs, it sees `unmapped` and only frees the record, which we no longer touch.
    mapping->unmapped = true;
    g_live.erase(it);
    addr = mapping->addr;
    length = mapping->length;
  }
  // Detach first so no JS view can reach the memory once it is gone.
  napi_status status = napi_detach_arraybuffer(env, buffer);
  if (status != napi_ok) {
    // Not detachable: leave the memory mapped (the GC finalizer unmaps it later) rather than
    // leave JS a view of freed memory. The record is alive: the buffer still references it.
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      mapping->unmapped = false;
      g_live[addr] = mapping;
    }
    throw Napi::Error::New(env, "shard_mmap: unmap could not detach the buffer; it stays mapped until collected");
  }
  munmap(addr, length);
  g_live_count.fetch_sub(1);
  return Napi::Boolean::New(env, true);
}

Napi::Value Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer buffer = BufferArg(info, 0);
  uint64_t offset = IndexArg(info, 1, "offset");
  uint64_t length = IndexArg(info, 2, "length");
  int advice = MadviseHint(env, HintArg(info, 3));
  Mapping* mapping = FindLive(buffer);
  if (mapping == nullptr) {
    throw Napi::Error::New(env, "shard_mmap: advise needs a live mapping (this buffer is unmapped or not a mapping)");
  }
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
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("advise", Napi::Function::New(env, Advise, "advise"));
  exports.Set("fadvise", Napi::Function::New(env, Fadvise, "fadvise"));
  exports.Set("liveMappings", Napi::Function::New(env, LiveMappings, "liveMappings"));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  return exports;
}

}  // namespace

NODE_API_MODULE(shard_mmap, Init)
