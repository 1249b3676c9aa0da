// SIGBUS guard for copies out of file mappings (fault-guard.h); why the reader works this way is at the top of mmap.cc.
//
// One handler for the whole process, installed once with sigaction. Each guarded copy arms a
// thread-local jump buffer for exactly the duration of its memcpy calls; a SIGBUS whose address lies in
// the range being copied, on the thread that armed it, jumps back out of the copy and is reported as an
// error. Every other SIGBUS (not ours: another thread, another address, kill(2)) goes to whatever handled
// SIGBUS before us, or gets the default action (the process dies of the signal, as without this file).
#include "fault-guard.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>

namespace shard_guard {
namespace {

struct Armed {
  sigjmp_buf jump;
  Window window;  // source bytes [lo, hi) are being read
  volatile uintptr_t fault;  // written by the handler just before it jumps back
};

// The copy in progress on this thread, or null. initial-exec: the handler may run on a thread that never
// touched this variable, and a lazily allocated (dlopen-style) TLS slot would call malloc inside it.
__attribute__((tls_model("initial-exec"))) thread_local Armed* t_armed = nullptr;

struct sigaction g_previous;
std::once_flag g_once;
int g_install_error = 0;

void ChainToPrevious(int sig, siginfo_t* info, void* context) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  void (*previous)(int) = g_previous.sa_handler;
  if (previous == SIG_IGN && info != nullptr && info->si_code <= 0) return;  // an ignored kill(2) stays ignored
  if (previous == SIG_DFL || previous == SIG_IGN) {
    // Default action: die of SIGBUS. It is blocked while this handler runs, so the re-raised signal is
    // delivered the moment we return (for a real fault, the faulting instruction would also re-run).
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, nullptr);
    raise(sig);
    return;
  }
  previous(sig);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  Armed* armed = t_armed;
  // si_code > 0: raised by the kernel for a memory access (BUS_ADRERR...), not sent by kill(2).
  if (armed != nullptr && info != nullptr && info->si_code > 0) {
    uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    if (addr >= armed->window.lo && addr < armed->window.hi) {
      t_armed = nullptr;
      armed->fault = addr;
      siglongjmp(armed->jump, 1);
    }
  }
  int saved = errno;
  ChainToPrevious(sig, info, context);
  errno = saved;
}

}  // namespace

bool Install(int* error) {
  std::call_once(g_once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &g_previous) != 0) g_install_error = errno;
  });
  if (g_install_error != 0 && error != nullptr) *error = g_install_error;
  return g_install_error == 0;
}

bool Run(void (*body)(void* ctx, Window* window), void* ctx, uintptr_t* fault) {
  Armed armed;
  armed.window.lo = UINTPTR_MAX;
  armed.window.hi = 0;
  armed.fault = 0;
  // savemask 0: no sigprocmask syscall per run. The price is paid only on a fault, below.
  if (sigsetjmp(armed.jump, 0) != 0) {
    // Back from the handler, which ran with SIGBUS blocked and never returned: unblock it again.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    *fault = armed.fault;
    return false;
  }
  t_armed = &armed;
  // Compiler barriers: the body's reads must stay between arming and disarming.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  body(ctx, &armed.window);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_armed = nullptr;
  return true;
}

namespace {
struct CopyJob {
  const Span* spans;
  size_t count;
};

// Copy() as a Run() body: the window is the lowest to the highest source byte of the spans.
void CopySpans(void* ctx, Window* window) {
  const CopyJob* job = static_cast<const CopyJob*>(ctx);
  uintptr_t lo = UINTPTR_MAX;
  uintptr_t hi = 0;
  for (size_t i = 0; i < job->count; i++) {
    uintptr_t src = reinterpret_cast<uintptr_t>(job->spans[i].src);
    if (job->spans[i].length == 0) continue;
    if (src < lo) lo = src;
    if (src + job->spans[i].length > hi) hi = src + job->spans[i].length;
  }
  window->lo = lo;
  window->hi = hi;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  for (size_t i = 0; i < job->count; i++) std::memcpy(job->spans[i].dst, job->spans[i].src, job->spans[i].length);
}
}  // namespace

bool Copy(const Span* spans, size_t count, uintptr_t* fault) {
  CopyJob job{spans, count};
  return Run(CopySpans, &job, fault);
}

}  // namespace shard_guard
