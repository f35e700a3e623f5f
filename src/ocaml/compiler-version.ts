import type { AddressSpace } from '../core/address-space.js';
import type { SymbolTable } from '../elf/symbols.js';
import type { FrameTableLayout } from './frametable.js';

/** What the executable tells about the OCaml that built it. */
export interface OcamlRuntime {
  /** `Stdlib.Sys.ocaml_version`, when the program links Stdlib.Sys (nearly all do: Sys.argv, Printexc). */
  version: string | undefined;
  /** OCaml 5: OCaml code runs on fiber stacks (runtime/fiber.c); caml_runstack exists only there (runtime/amd64.S). */
  fibers: boolean;
  /**
   * Debug info in the packed layout of runtime/backtrace_nat.c's
   * caml_debuginfo_location in 5.3 (ocaml/ocaml#10111, after 5.1, whose
   * runtime still decodes 4.x's layout).
   */
  packedDebugInfo: boolean;
  /** The frame-table layout: debuginfo by 32-bit offsets from 4.11, by pointers before. */
  frameTables: FrameTableLayout;
}

const MAX_DATA = 64 * 1024;
// OCaml version strings: 5.3.0, 4.14.1, 5.4.0~alpha1, 4.14.1+flambda.
const VERSION = /(?:^|\0)(\d+\.\d+\.\d+(?:[~+][\x21-\x7e]*)?)\0/;

export function identifyRuntime(symbols: SymbolTable, memory: AddressSpace, bias: number): OcamlRuntime {
  const version = sysVersion(symbols, memory, bias);
  const [major = 0, minor = 0] = version?.split('.').map((n) => Number.parseInt(n, 10)) ?? [];
  const fibers = version ? major >= 5 : symbols.functionAddress('caml_runstack') !== undefined;
  return {
    version,
    fibers,
    packedDebugInfo: version !== undefined && (major > 5 || (major === 5 && minor >= 2)),
    frameTables: version !== undefined && major === 4 && minor <= 10 ? 'pointers' : 'offsets',
  };
}

/**
 * `Sys.ocaml_version` is a string constant in Stdlib.Sys's data block
 * (stdlib/sys.ml.in), between the module's data_begin and data_end labels:
 * `camlStdlib__sys__data_begin` up to OCaml 4.13, `camlStdlib__Sys__data_begin`
 * in 4.14 and 5.0, `camlStdlib__Sys.data_begin` from 5.1.
 */
const SYS_LABELS = ['camlStdlib__Sys.data_', 'camlStdlib__Sys__data_', 'camlStdlib__sys__data_'];

function sysVersion(symbols: SymbolTable, memory: AddressSpace, bias: number): string | undefined {
  for (const label of SYS_LABELS) {
    const begin = symbols.dataAddress(`${label}begin`);
    const end = symbols.dataAddress(`${label}end`);
    if (begin === undefined || end === undefined || end <= begin || end - begin > MAX_DATA) continue;
    const bytes = memory.read(begin + bias, end - begin);
    if (!bytes) continue;
    return VERSION.exec(Buffer.from(bytes).toString('latin1'))?.[1];
  }
  return undefined;
}
