/* What whole-shard downloads would cost done natively: one blocking GET per file over plain HTTP/1.1, the body
 * received with big reads (SO_RCVLOWAT: a read waits for 256 KiB), hashed with SHA-256 on the SHA extensions
 * (the same code as sha_ni_streams.c) and written to a file with pwrite: no JS, no event loop. Measures the
 * CPU a native download path would spend, against the reader's (scripts/bench/receive-ab.ts runs it as "c").
 * usage: receive_native HOST PORT PATH_PREFIX bare|sha|sha+write OUT_DIR THREADS FILE...
 *   prints one line per file "sha256 FILE" (sha modes), then "cpu SECONDS wall SECONDS" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sha_ni.h"

/* SHA-256 over a stream: whole blocks go straight to one(), the rest waits in part. */
typedef struct {
  uint32_t h[8];
  uint8_t part[64];
  size_t partLen;
  uint64_t total;
} Sha;
static void shaInit(Sha *s) { memcpy(s->h, H0, 32), s->partLen = 0, s->total = 0; }
static void shaUpdate(Sha *s, const uint8_t *p, size_t n) {
  s->total += n;
  if (s->partLen) {
    size_t k = 64 - s->partLen < n ? 64 - s->partLen : n;
    memcpy(s->part + s->partLen, p, k), s->partLen += k, p += k, n -= k;
    if (s->partLen < 64) return;
    one(s->h, s->part, 1), s->partLen = 0;
  }
  one(s->h, p, n / 64);
  memcpy(s->part, p + (n & ~(size_t)63), n & 63), s->partLen = n & 63;
}
static void shaHex(Sha *s, char *out) {
  uint64_t bits = s->total * 8;
  uint8_t pad[72] = {0x80};
  size_t padLen = (s->partLen < 56 ? 56 : 120) - s->partLen;
  for (int i = 0; i < 8; i++) pad[padLen + i] = (uint8_t)(bits >> (56 - 8 * i));
  shaUpdate(s, pad, padLen + 8);
  for (int i = 0; i < 8; i++) sprintf(out + 8 * i, "%08x", s->h[i]);
}

static const char *host, *prefix, *mode, *outDir;
static int port, nfiles;
static char **files;
static int next;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what, const char *file) {
  fprintf(stderr, "%s: %s\n", file, what);
  exit(1);
}

static void *worker(void *arg) {
  (void)arg;
  enum { BUF = 1 << 20, LOWAT = 256 << 10 };
  uint8_t *buf = malloc(BUF);
  for (;;) {
    pthread_mutex_lock(&mu);
    int i = next++;
    pthread_mutex_unlock(&mu);
    if (i >= nfiles) break;
    const char *f = files[i];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect failed", f);
    char req[2048];
    int n = snprintf(req, sizeof req, "GET %s%s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", prefix, f, host, port);
    if (write(fd, req, n) != n) die("write failed", f);
    size_t have = 0;
    char *end = NULL;
    while (!end) {
      ssize_t r = recv(fd, buf + have, BUF - have - 1, 0);
      if (r <= 0) die("no response head", f);
      have += r, buf[have] = 0;
      end = strstr((char *)buf, "\r\n\r\n");
    }
    char *cl = strcasestr((char *)buf, "content-length:");
    if (!cl || strncmp((char *)buf, "HTTP/1.1 200", 12)) die("not a 200 with content-length", f);
    long long left = atoll(cl + 15);
    int lowat = LOWAT;
    setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    int out = -1;
    if (!strcmp(mode, "sha+write")) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", outDir, f);
      if ((out = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) die("cannot create the output", p);
    }
    Sha s;
    shaInit(&s);
    off_t at = 0;
    size_t body = have - ((uint8_t *)end + 4 - buf);
    memmove(buf, end + 4, body);
    for (;;) {
      if (body) {
        left -= body;
        if (strcmp(mode, "bare")) shaUpdate(&s, buf, body);
        if (out >= 0) {
          for (size_t w = 0; w < body;) {
            ssize_t k = pwrite(out, buf + w, body - w, at);
            if (k <= 0) die("write failed", f);
            w += k, at += k;
          }
        }
      }
      if (left <= 0) break;
      /* With SO_RCVLOWAT a read waits for 256 KiB (or the end). */
      if (left < LOWAT) setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &(int){1}, sizeof(int));
      ssize_t r = recv(fd, buf, BUF, 0);
      if (r <= 0) die("connection closed early", f);
      body = r;
    }
    close(fd);
    if (out >= 0) close(out);
    if (strcmp(mode, "bare")) {
      char hex[65];
      shaHex(&s, hex);
      pthread_mutex_lock(&mu);
      printf("%s %s\n", hex, f);
      pthread_mutex_unlock(&mu);
    }
  }
  free(buf);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: receive_native HOST PORT PATH_PREFIX bare|sha|sha+write OUT_DIR THREADS FILE...\n");
    return 2;
  }
  host = argv[1], port = atoi(argv[2]), prefix = argv[3], mode = argv[4], outDir = argv[5];
  int threads = atoi(argv[6]);
  files = argv + 7, nfiles = argc - 7;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t th[64];
  for (int i = 0; i < threads && i < 64; i++) pthread_create(&th[i], NULL, worker, NULL);
  for (int i = 0; i < threads && i < 64; i++) pthread_join(th[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  printf("cpu %.3f wall %.3f\n", cpu, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
  return 0;
}
