// Guarded copies out of file mappings: a SIGBUS raised by the copy (the file shrank under the mapping,
// or its pages cannot be read) becomes an error return instead of killing the process.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shard_guard {

/** One piece of a copy: `length` bytes from `src` (inside a mapping) to `dst` (ordinary memory). */
struct Span {
  void* dst;
  const void* src;
  size_t length;
};

/**
 * Installs the process-wide SIGBUS handler the first time it is called (later calls, from any thread,
 * return the first result). False when sigaction failed; `error` then holds its errno.
 */
bool Install(int* error);

/**
 * Copies every span, in order. True on success. False when reading a source byte raised SIGBUS: the
 * copy stopped part-way and `*fault` is the source address that faulted. Requires Install() to have
 * succeeded; safe on any thread, including worker threads, and reentrant across threads.
 */
bool Copy(const Span* spans, size_t count, uintptr_t* fault);

/**
 * The source range a guarded body is reading right now. The body sets it before it touches each mapping
 * (a batch gather reads several), and a SIGBUS is only taken as the body's own when its address is inside.
 */
struct Window {
  volatile uintptr_t lo;
  volatile uintptr_t hi;
};

/**
 * Runs body(ctx, window) under the guard. True when it returned; false when a read inside the window
 * raised SIGBUS: the body was abandoned where it was (so it must hold no resources: no allocation, no
 * locks, no N-API calls) and `*fault` is the faulting address. Same requirements as Copy().
 */
bool Run(void (*body)(void* ctx, Window* window), void* ctx, uintptr_t* fault);

}  // namespace shard_guard
