import type { View } from '../elf/view.js';

export interface SignalInfo {
  signo: number;
  code: number;
  /** si_addr: for SIGSEGV and SIGBUS, the address whose access faulted. */
  address: number;
}

export function parseSigInfo(desc: View): SignalInfo {
  return { signo: desc.u32(0), code: desc.i32(8), address: desc.u64(16) };
}

export function parseAuxv(desc: View): Map<number, number> {
  const aux = new Map<number, number>();
  for (let at = 0; at + 16 <= desc.length; at += 16) {
    const type = desc.u64(at);
    if (type === 0) break;
    aux.set(type, desc.u64(at + 8));
  }
  return aux;
}

/** One file-backed mapping of the crashed process (NT_FILE). */
export interface FileMapping {
  start: number;
  end: number;
  /** Offset into the file, in bytes. */
  fileOffset: number;
  path: string;
}

export function parseFileNote(desc: View): FileMapping[] {
  const count = desc.u64(0);
  const pageSize = desc.u64(8);
  const entriesEnd = 16 + count * 24;
  if (count > desc.length / 24 || entriesEnd > desc.length) return [];
  const mappings: FileMapping[] = [];
  let nameAt = entriesEnd;
  for (let i = 0; i < count; i++) {
    const path = desc.cstring(nameAt);
    nameAt += Buffer.byteLength(path, 'latin1') + 1;
    mappings.push({
      start: desc.u64(16 + i * 24),
      end: desc.u64(24 + i * 24),
      fileOffset: desc.u64(32 + i * 24) * pageSize,
      path,
    });
  }
  return mappings;
}
