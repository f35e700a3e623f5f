import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectCapped } from '../src/run/capped-output.js';

const stream = (chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)));

describe('collectCapped', () => {
  it('keeps all of a stream within the cap', async () => {
    expect(await collectCapped(stream(['ab', 'cd']), 1024 * 1024)).toEqual({ text: 'abcd', bytes: 4, cut: false });
  });

  it('keeps the beginning and the last 64 KiB of a longer one, counting every byte', async () => {
    const cap = 65536 + 10;
    const chunks = ['0123456789', 'A'.repeat(100_000), 'B'.repeat(65_536 - 5), 'tail!'];
    const got = await collectCapped(stream(chunks), cap);
    expect(got.bytes).toBe(10 + 100_000 + 65_536);
    expect(got.cut).toBe(true);
    expect(got.text.startsWith('0123456789\n[lwt-regress: 100000 bytes of output not kept]\n')).toBe(true);
    expect(got.text.endsWith(`\n${'B'.repeat(65_531)}tail!`)).toBe(true);
  });

  it('an absent stream is empty', async () => {
    expect(await collectCapped(undefined)).toEqual({ text: '', bytes: 0, cut: false });
  });
});
