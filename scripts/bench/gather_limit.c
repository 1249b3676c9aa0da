/* The gather limit for the peers benchmark: memcpy of the same records, in the same shuffled order, from a
 * read-only mapping into one batch buffer per thread, nothing else (no CRC, no labels, no hand-off).
 * With BUFFERS > 1 each thread fills BUFFERS batch buffers in turn, as a reader that hands its batches to
 * another thread must: the destination then no longer stays in the core's cache.
 * usage: gather_limit FILE DATA_OFFSET RECORD_BYTES ORDER_FILE BATCH THREADS SECONDS [BUFFERS] -> prints samples/s */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint8_t* base;
static size_t data_offset, record_bytes, batch, count, threads, buffers = 1;
static uint32_t* order;
static double seconds;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void* run(void* arg) {
  size_t t = (size_t)arg, samples = 0;
  uint8_t* bufs[64];
  for (size_t i = 0; i < buffers; i++) {
    bufs[i] = aligned_alloc(4096, batch * record_bytes);
    memset(bufs[i], 0, batch * record_bytes); /* faulted in first (a millisecond or so) */
  }
  uint8_t* buf = bufs[0];
  size_t batches = (count + batch - 1) / batch;
  double end = now() + seconds;
  /* Thread t takes batches t, t + threads, ...: the records of a batch are contiguous in `order`. */
  for (size_t b = t;; b += threads) {
    buf = bufs[(b / threads) % buffers];
    size_t first = (b % batches) * batch;
    size_t n = first + batch <= count ? batch : count - first;
    for (size_t k = 0; k < n; k++) memcpy(buf + k * record_bytes, base + data_offset + (size_t)order[first + k] * record_bytes, record_bytes);
    samples += n;
    __asm__ volatile("" : : "r"(buf) : "memory"); /* the copies are not dead stores */
    if ((b / threads) % 16 == 0 && now() >= end) break;
  }
  for (size_t i = 0; i < buffers; i++) free(bufs[i]);
  return (void*)samples;
}

int main(int argc, char** argv) {
  if (argc != 8 && argc != 9) { fprintf(stderr, "usage: gather_limit FILE DATA_OFFSET RECORD_BYTES ORDER_FILE BATCH THREADS SECONDS [BUFFERS]\n"); return 2; }
  int fd = open(argv[1], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) { perror(argv[1]); return 1; }
  base = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  data_offset = strtoull(argv[2], 0, 10);
  record_bytes = strtoull(argv[3], 0, 10);
  FILE* of = fopen(argv[4], "rb");
  if (!of) { perror(argv[4]); return 1; }
  fseek(of, 0, SEEK_END);
  count = ftell(of) / 4;
  rewind(of);
  order = malloc(count * 4);
  if (fread(order, 4, count, of) != count) { fprintf(stderr, "short order file\n"); return 1; }
  batch = strtoull(argv[5], 0, 10);
  threads = strtoull(argv[6], 0, 10);
  seconds = atof(argv[7]);
  if (argc == 9) buffers = strtoull(argv[8], 0, 10);
  if (buffers < 1 || buffers > 64) { fprintf(stderr, "BUFFERS must be 1..64\n"); return 2; }
  pthread_t tid[64];
  double start = now();
  for (size_t t = 0; t < threads && t < 64; t++) pthread_create(&tid[t], 0, run, (void*)t);
  size_t total = 0;
  for (size_t t = 0; t < threads && t < 64; t++) { void* r; pthread_join(tid[t], &r); total += (size_t)r; }
  printf("%.0f\n", total / (now() - start));
  return 0;
}
