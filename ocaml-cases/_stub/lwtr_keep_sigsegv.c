/* Preloaded (LD_PRELOAD) into the programs lwt-regress runs but does not
   link itself: dune targets and commands. OCaml 4.x's runtime installs a
   SIGSEGV handler at start-up (runtime/signals_nat.c, caml_init_nat_signals)
   that turns a stack overflow in OCaml code into Stack_overflow; refusing
   that one call keeps SIGSEGV's default action, so the overflow kills the
   process and the kernel writes a core, as it does for the cases lwt-regress
   builds with its own reset module. Every other use of sigaction is passed on. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
  static sigaction_fn real;
  if (real == NULL) real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  if (sig == SIGSEGV && act != NULL && act->sa_handler != SIG_DFL) return real(sig, NULL, old);
  return real(sig, act, old);
}
