import type { Readable } from 'node:stream';

/** At most this much of each of a run's output streams is kept; the rest is counted, not stored. */
export const OUTPUT_CAP = 1024 * 1024;

/** Of the kept bytes, this many are the stream's end: where "clean: …", gdb's verdict and OCaml's fatal error are. */
const TAIL = 64 * 1024;

export interface CappedText {
  /** The beginning and the end of the stream, with a marker where the middle was dropped. */
  text: string;
  /** Bytes the stream carried in all. */
  bytes: number;
  /** Whether bytes were dropped. */
  cut: boolean;
}

/**
 * Collects a stream's first bytes and its last 64 KiB, and counts the rest,
 * so a case that writes gigabytes fills neither memory nor the log. The
 * stream is read to its end: the writer is never blocked or killed by SIGPIPE.
 */
export function collectCapped(stream: Readable | null | undefined, cap = OUTPUT_CAP): Promise<CappedText> {
  const headCap = cap - TAIL;
  return new Promise((resolve) => {
    if (!stream) {
      resolve({ text: '', bytes: 0, cut: false });
      return;
    }
    const head: Buffer[] = [];
    let headBytes = 0;
    let tail = Buffer.alloc(0);
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      let rest = chunk;
      if (headBytes < headCap) {
        const part = rest.subarray(0, headCap - headBytes);
        head.push(part);
        headBytes += part.length;
        rest = rest.subarray(part.length);
      }
      if (rest.length > 0) {
        const joined = Buffer.concat([tail, rest]);
        tail = joined.subarray(Math.max(0, joined.length - TAIL));
      }
    });
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      const dropped = bytes - headBytes - tail.length;
      const marker = dropped > 0 ? `\n[lwt-regress: ${dropped} bytes of output not kept]\n` : '';
      resolve({ text: Buffer.concat(head).toString('utf8') + marker + tail.toString('utf8'), bytes, cut: dropped > 0 });
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
