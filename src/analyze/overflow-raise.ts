import type { Registers } from '../core/registers.js';
import type { SymbolTable } from '../elf/symbols.js';

/**
 * Whether the core was taken where OCaml 5's runtime raises Stack_overflow
 * (a debugger stopped it there: OCaml 5 reports an overflow as an exception,
 * not a signal). When a fiber cannot grow past OCAMLRUNPARAM=l,
 * caml_call_realloc_stack loads &caml_exn_Stack_overflow into %rax and jumps
 * to caml_raise_exn (runtime/amd64.S); runtime C code raises it through
 * caml_raise_stack_overflow (runtime/fiber.c, runtime/fail.c). Returns the
 * function it stopped in, or undefined.
 */
export function stackOverflowRaise(
  symbols: SymbolTable,
  bias: number,
  registers: Registers,
): 'caml_raise_exn' | 'caml_raise_stack_overflow' | undefined {
  const name = symbols.lookup(registers.rip - bias)?.name;
  if (name === 'caml_raise_stack_overflow') return name;
  if (name !== 'caml_raise_exn') return undefined;
  const exception = symbols.dataAddress('caml_exn_Stack_overflow');
  return exception !== undefined && registers.rax === exception + bias ? name : undefined;
}
