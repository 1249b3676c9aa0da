// pump(): the rest of a whole-shard download's body received, written to its cache part file and hashed
// (SHA-256) in a native thread of its own, with no JavaScript per read.
//
// Why: on a machine whose cores the server shares, a cold epoch is bound by the client's CPU per byte, and
// the download threads' JavaScript per socket read (callbacks, promises, timers) cost about as much as
// writing the cache file (scripts/bench/notes/remote.md). Here a read waits for 256 KiB (SO_RCVLOWAT),
// then the bytes are written with pwrite and hashed, nothing else.
//
// Descriptors: the thread works on dup()s of the socket and the file, closed when it ends, so whatever
// JavaScript or libuv do with their own descriptors (a socket destroyed, a worker torn down) can never make
// the thread read or write a descriptor number that now means something else. The thread never touches
// JavaScript memory either: it hashes into its own copy of the caller's SHA-256 state, copied back into the
// caller's ArrayBuffer on this thread before the callback (JavaScript must not use the state in between). A
// worker torn down mid-download cancels its pumps (an environment cleanup hook).
//
// JS API (typed in src/io/addon.ts):
//   sha256New() -> ArrayBuffer                     a fresh SHA-256 state (OpenSSL's, as node:crypto uses)
//   sha256Update(state, view)                      hashes the bytes of view
//   sha256Hex(state) -> string                     the digest in hex (the state is finished: make a new one)
//   pump(socketFd, fileFd, fileOffset, length, state, timeoutMs, callback) -> handle
//     reads up to `length` body bytes from the socket; each read is written at fileOffset + bytes so far,
//     then hashed into state. callback({ bytes, end, code }) once, on this thread, where end is
//     'done' (length bytes), 'closed' (the peer closed first), 'long' (more bytes than length arrived),
//     'timeout' (no byte for timeoutMs), 'cancelled', 'read' or 'write' (code: the errno name; message: its text).
//   pumpCancel(handle)                             ends the pump at its next wait ('cancelled')
#define OPENSSL_SUPPRESS_DEPRECATED
#include <napi.h>

// Node's headers carry OpenSSL's (its own copy, whose symbols the node binary exports). Where they do not,
// or off Linux (eventfd), the addon is built without the pump and downloads are received in JavaScript.
#if defined(__linux__) && __has_include(<openssl/sha.h>)
#define SHARD_PUMP 1
#include <openssl/sha.h>
#else
#define SHARD_PUMP 0
#endif

#if SHARD_PUMP
#include <chrono>
#include <functional>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errno-name.h"
#endif

#if SHARD_PUMP
namespace {

constexpr size_t kReadBytes = 1 << 20;
constexpr int kLowWater = 256 << 10;
constexpr int kSliceMs = 100;
constexpr napi_type_tag kPumpTag = {0x2c71e5a09b3d4f68ULL, 0x91f0a7c4e26b5d13ULL};

const char* ErrnoName(int err) { return shard_errno::Name(err); }

SHA256_CTX* StateArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArrayBuffer() || info[i].As<Napi::ArrayBuffer>().ByteLength() != sizeof(SHA256_CTX)) {
    throw Napi::TypeError::New(info.Env(), "expected a SHA-256 state from sha256New()");
  }
  return static_cast<SHA256_CTX*>(info[i].As<Napi::ArrayBuffer>().Data());
}

Napi::Value Sha256New(const Napi::CallbackInfo& info) {
  auto buf = Napi::ArrayBuffer::New(info.Env(), sizeof(SHA256_CTX));
  SHA256_Init(static_cast<SHA256_CTX*>(buf.Data()));
  return buf;
}

Napi::Value Sha256Update(const Napi::CallbackInfo& info) {
  SHA256_CTX* ctx = StateArg(info, 0);
  if (!info[1].IsTypedArray() && !info[1].IsDataView()) throw Napi::TypeError::New(info.Env(), "expected a Uint8Array");
  auto view = info[1].As<Napi::TypedArray>();
  auto* bytes = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  SHA256_Update(ctx, bytes, view.ByteLength());
  return info.Env().Undefined();
}

Napi::Value Sha256Hex(const Napi::CallbackInfo& info) {
  SHA256_CTX* ctx = StateArg(info, 0);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, ctx);
  static const char* hex = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) out[2 * i] = hex[digest[i] >> 4], out[2 * i + 1] = hex[digest[i] & 15];
  return Napi::String::New(info.Env(), out);
}

struct Result {
  double bytes = 0;
  const char* end = "done";
  int err = 0;
};

// Shared by the thread and the JS handle; the descriptors are the pump's own dup()s.
struct Pump {
  int sock = -1;
  int file = -1;
  int cancel = -1;  // eventfd: written by pumpCancel and at environment teardown
  SHA256_CTX ctx;
  void Cancel() {
    uint64_t one = 1;
    ssize_t ignored = write(cancel, &one, sizeof one);
    (void)ignored;
  }
  ~Pump() {
    if (sock >= 0) close(sock);
    if (file >= 0) close(file);
    if (cancel >= 0) close(cancel);
  }
};

void SetLowWater(int fd, uint64_t left) {
  int lowat = left < static_cast<uint64_t>(kLowWater) ? static_cast<int>(left > 0 ? left : 1) : kLowWater;
  setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
}

Result Run(Pump& p, uint64_t offset, uint64_t length, int timeoutMs) {
  Result r;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[kReadBytes]);
  uint64_t done = 0;
  SetLowWater(p.sock, length);
  auto lastData = std::chrono::steady_clock::now();
  while (done < length) {
    pollfd fds[2] = {{p.sock, POLLIN, 0}, {p.cancel, POLLIN, 0}};
    // Short waits: the low-water mark hides a slow server's bytes from poll, so every slice looks whether
    // any arrived (FIONREAD); only no byte at all for timeoutMs is a timeout.
    int n = poll(fds, 2, timeoutMs < kSliceMs ? timeoutMs : kSliceMs);
    if (n < 0) {
      if (errno == EINTR) continue;
      r.end = "read", r.err = errno;
      break;
    }
    if (fds[1].revents != 0) {
      r.end = "cancelled";
      break;
    }
    if (n == 0) {
      int avail = 0;
      if (ioctl(p.sock, FIONREAD, &avail) != 0 || avail <= 0) {
        if (std::chrono::steady_clock::now() - lastData >= std::chrono::milliseconds(timeoutMs)) {
          r.end = "timeout";
          break;
        }
        continue;
      }
    }
    uint64_t left = length - done;
    // One byte more than the body may hold: a response longer than announced is caught, not cut.
    size_t want = left + 1 < kReadBytes ? static_cast<size_t>(left + 1) : kReadBytes;
    ssize_t got = recv(p.sock, buf.get(), want, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      r.end = "read", r.err = errno;
      break;
    }
    if (got == 0) {
      r.end = "closed";
      break;
    }
    if (static_cast<uint64_t>(got) > left) {
      r.end = "long";
      break;
    }
    // Written first, then hashed: `bytes` always counts bytes that are both in the file and in the hash.
    for (ssize_t w = 0; w < got;) {
      ssize_t k = pwrite(p.file, buf.get() + w, got - w, static_cast<off_t>(offset + done + w));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        r.end = "write", r.err = k < 0 ? errno : EIO;
        r.bytes = static_cast<double>(done);
        return r;
      }
      w += k;
    }
    SHA256_Update(&p.ctx, buf.get(), got);
    done += got;
    lastData = std::chrono::steady_clock::now();
    if (length - done < static_cast<uint64_t>(kLowWater)) SetLowWater(p.sock, length - done);
  }
  r.bytes = static_cast<double>(done);
  return r;
}

double IndexArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > 9007199254740991.0 || v != static_cast<double>(static_cast<uint64_t>(v))) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a non-negative integer");
  }
  return v;
}

Napi::Value PumpJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sockFd = static_cast<int>(IndexArg(info, 0, "socketFd"));
  int fileFd = static_cast<int>(IndexArg(info, 1, "fileFd"));
  uint64_t offset = static_cast<uint64_t>(IndexArg(info, 2, "fileOffset"));
  uint64_t length = static_cast<uint64_t>(IndexArg(info, 3, "length"));
  SHA256_CTX* ctx = StateArg(info, 4);
  int timeoutMs = static_cast<int>(IndexArg(info, 5, "timeoutMs"));
  if (!info[6].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");

  auto pump = std::make_shared<Pump>();
  pump->sock = fcntl(sockFd, F_DUPFD_CLOEXEC, 0);
  pump->file = pump->sock >= 0 ? fcntl(fileFd, F_DUPFD_CLOEXEC, 0) : -1;
  pump->cancel = pump->file >= 0 ? eventfd(0, EFD_CLOEXEC) : -1;
  if (pump->cancel < 0) {
    int err = errno;
    auto e = Napi::Error::New(env, std::string("pump: cannot set up the download: ") + strerror(err));
    e.Set("code", Napi::String::New(env, ErrnoName(err)));
    throw e;
  }
  memcpy(&pump->ctx, ctx, sizeof pump->ctx);
  // The caller's state buffer, written back on this thread when the pump ends.
  auto stateRef = std::make_shared<Napi::Reference<Napi::ArrayBuffer>>(Napi::Persistent(info[4].As<Napi::ArrayBuffer>()));
  auto tsfn = Napi::ThreadSafeFunction::New(env, info[6].As<Napi::Function>(), "shard-reader pump", 0, 1);
  // A worker torn down mid-download: the pump ends at once rather than at its timeout.
  auto hook = std::make_shared<Napi::Env::CleanupHook<std::function<void()>>>(env.AddCleanupHook(std::function<void()>([pump]() { pump->Cancel(); })));

  std::thread([pump, offset, length, timeoutMs, tsfn, stateRef, hook]() mutable {
    auto* result = new Result(Run(*pump, offset, length, timeoutMs));
    // The connection and the file are let go of now, not when the handle is collected; the eventfd stays
    // (a late pumpCancel writes to it) until the last owner goes.
    close(pump->sock), pump->sock = -1;
    close(pump->file), pump->file = -1;
    napi_status s = tsfn.BlockingCall(result, [stateRef, pump, hook](Napi::Env env, Napi::Function cb, Result* res) {
      hook->Remove(env);
      Napi::ArrayBuffer state = stateRef->Value();
      if (state.ByteLength() == sizeof pump->ctx) memcpy(state.Data(), &pump->ctx, sizeof pump->ctx);
      stateRef->Reset();
      Napi::Object o = Napi::Object::New(env);
      o.Set("bytes", Napi::Number::New(env, res->bytes));
      o.Set("end", Napi::String::New(env, res->end));
      if (res->err != 0) {
        o.Set("code", Napi::String::New(env, ErrnoName(res->err)));
        o.Set("message", Napi::String::New(env, strerror(res->err)));
      }
      delete res;
      cb.Call({o});
    });
    if (s != napi_ok) {
      // The environment is going away: nobody to tell, and its references must not be freed from here.
      delete result;
      stateRef->SuppressDestruct();
    }
    tsfn.Release();
  }).detach();

  auto handle = Napi::External<std::shared_ptr<Pump>>::New(env, new std::shared_ptr<Pump>(pump), [](Napi::Env, std::shared_ptr<Pump>* p) { delete p; });
  napi_type_tag_object(env, handle, &kPumpTag);
  return handle;
}

Napi::Value PumpCancel(const Napi::CallbackInfo& info) {
  bool tagged = false;
  if (!info[0].IsExternal() || napi_check_object_type_tag(info.Env(), info[0], &kPumpTag, &tagged) != napi_ok || !tagged) {
    throw Napi::TypeError::New(info.Env(), "expected a pump handle");
  }
  (*info[0].As<Napi::External<std::shared_ptr<Pump>>>().Data())->Cancel();
  return info.Env().Undefined();
}

}  // namespace

#endif  // SHARD_PUMP

void InitPump(Napi::Env env, Napi::Object exports) {
#if !SHARD_PUMP
  (void)env, (void)exports;
#else
  exports.Set("sha256New", Napi::Function::New(env, Sha256New, "sha256New"));
  exports.Set("sha256Update", Napi::Function::New(env, Sha256Update, "sha256Update"));
  exports.Set("sha256Hex", Napi::Function::New(env, Sha256Hex, "sha256Hex"));
  exports.Set("pump", Napi::Function::New(env, PumpJs, "pump"));
  exports.Set("pumpCancel", Napi::Function::New(env, PumpCancel, "pumpCancel"));
#endif
}
