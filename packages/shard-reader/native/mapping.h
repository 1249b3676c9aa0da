// The record behind a mapping handle from map() (native/mmap.cc), for the other native files that read mappings.
#pragma once

#include <napi.h>

#include <cstddef>

namespace shard_mmap {

struct Mapping {
  void* addr;
  size_t length;
  bool unmapped;
};

/** The Mapping behind `value` when it is a handle returned by map(), else nullptr (never throws). */
Mapping* MappingOf(Napi::Env env, Napi::Value value);

/** The Error thrown for a SIGBUS at byte `at` of a `length`-byte mapping (code ERR_SHARD_MAPPING_FAULT, faultOffset). */
Napi::Error MappingFault(Napi::Env env, uint64_t at, size_t length);

}  // namespace shard_mmap
