/* Linked into every case. OCaml 4.x turns a stack overflow in OCaml code into
   a Stack_overflow exception through its own SIGSEGV handler; resetting
   SIGSEGV to the default lets the overflow kill the process and dump a core,
   as it did in production when the overflow hit C code. */
#include <signal.h>
#include <caml/mlvalues.h>

value lwtr_reset_sigsegv(value unit)
{
  (void)unit;
  signal(SIGSEGV, SIG_DFL);
  return Val_unit;
}
