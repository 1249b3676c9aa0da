// The errno name ("ENOENT") for an error code, for the `code` of errors the addon throws or reports.
#ifndef SHARD_ERRNO_NAME_H
#define SHARD_ERRNO_NAME_H
#include <cstring>

namespace shard_errno {

inline const char* Name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
#endif
  (void)err;
  return "EUNKNOWN";
}

}  // namespace shard_errno

#endif
