{
  "targets": [
    {
      "target_name": "shard_mmap",
      "sources": ["native/mmap.cc", "native/fault-guard.cc", "native/crc32.cc", "native/convert.cc", "native/gather.cc", "native/interleave.cc", "native/pump.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-Wall", "-Wextra", "-O3"]
    }
  ]
}
