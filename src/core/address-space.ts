import type { ByteReader } from '../elf/byte-reader.js';
import { u64At } from '../elf/view.js';

/** A range of the crashed process's memory and where its bytes are kept. */
export interface MemoryRegion {
  start: number;
  end: number;
  reader: ByteReader;
  /** File offset of `start` in `reader`. */
  offset: number;
  /** Where the bytes come from, for messages and reports. */
  origin: 'core' | 'executable';
  /** Whether the process could write it (a stack always can). */
  writable: boolean;
}

const CHUNK = 64 * 1024;
const MAX_CACHED_CHUNKS = 512;
const MAX_BLOCK = 64 * 1024 * 1024;

/**
 * The process's memory by virtual address: the core's dumped segments first,
 * then the executable's file-backed segments for what the kernel did not dump
 * (code pages). Reads go through a bounded chunk cache so that many small
 * reads (frame tables) cost few file reads and memory stays bounded.
 */
export class AddressSpace {
  private readonly regions: MemoryRegion[];
  private readonly cache = new Map<string, Uint8Array>();
  private readonly blocks = new Map<MemoryRegion, Uint8Array>();

  constructor(regions: MemoryRegion[]) {
    this.regions = [...regions].sort((a, b) => a.start - b.start);
  }

  regionAt(address: number): MemoryRegion | undefined {
    // The core comes first: it holds relocated data where the file holds link-time values.
    return (
      this.regions.find((r) => r.origin === 'core' && address >= r.start && address < r.end) ??
      this.regions.find((r) => address >= r.start && address < r.end)
    );
  }

  /**
   * The dumped region holding the stack pointer. A function that has just
   * lowered rsp past the end of the stack leaves it below the mapping, so a
   * region starting a little above rsp counts too.
   */
  stackRegion(rsp: number, slack = 64 * 1024): MemoryRegion | undefined {
    const core = this.regions.filter((r) => r.origin === 'core' && r.writable);
    return core.find((r) => rsp >= r.start && rsp < r.end) ?? core.find((r) => r.start > rsp && r.start - rsp <= slack);
  }

  /** Bytes at [address, address+length) if all of them lie in one region. */
  read(address: number, length: number): Uint8Array | undefined {
    const region = this.regionAt(address);
    if (!region || address + length > region.end) return undefined;
    const fileAt = region.offset + (address - region.start);
    const chunkIndex = Math.floor(fileAt / CHUNK);
    const within = fileAt - chunkIndex * CHUNK;
    if (within + length > CHUNK) {
      // A file that ends inside the region gives fewer bytes: as inside a chunk, that is no answer.
      const bytes = region.reader.read(fileAt, length);
      return bytes.length === length ? bytes : undefined;
    }
    const chunk = this.chunk(region.reader, chunkIndex);
    if (within + length > chunk.length) return undefined;
    return chunk.subarray(within, within + length);
  }

  private chunk(reader: ByteReader, index: number): Uint8Array {
    const key = `${reader.name}\0${index}`;
    let chunk = this.cache.get(key);
    if (!chunk) {
      if (this.cache.size >= MAX_CACHED_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
      chunk = reader.read(index * CHUNK, CHUNK);
      this.cache.set(key, chunk);
    }
    return chunk;
  }

  /**
   * The whole region containing `address`, read once and kept: for tables
   * parsed in one pass (frame tables). Regions over 64 MiB are refused to
   * keep memory bounded.
   */
  block(address: number): { bytes: Uint8Array; start: number } | undefined {
    const region = this.regionAt(address);
    if (!region || region.end - region.start > MAX_BLOCK) return undefined;
    let bytes = this.blocks.get(region);
    if (!bytes) {
      bytes = region.reader.read(region.offset, region.end - region.start);
      this.blocks.set(region, bytes);
    }
    return { bytes, start: region.start };
  }

  /** A NUL-terminated string (at most 4 KiB) at `address`. */
  cstring(address: number): string | undefined {
    const block = this.block(address);
    if (!block) return undefined;
    const from = address - block.start;
    const window = block.bytes.subarray(from, from + 4096);
    const end = window.indexOf(0);
    return Buffer.from(window.subarray(0, end < 0 ? window.length : end)).toString('utf8');
  }

  u64(address: number): number | undefined {
    const b = this.read(address, 8);
    if (!b) return undefined;
    return u64At(new DataView(b.buffer, b.byteOffset, 8), 0);
  }
}
