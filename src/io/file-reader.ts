import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import type { ByteReader } from '../elf/byte-reader.js';
import { EXIT, UserError } from '../errors.js';

/** Positioned reads from a file, so a core of any size costs only what is read. */
export class FileReader implements ByteReader {
  private constructor(
    private readonly fd: number,
    readonly size: number,
    readonly name: string,
  ) {}

  /**
   * Opens a regular file, and only that: a FIFO would block the open until a
   * writer comes (forever), a device reads without end. The kind is checked
   * before opening, so that a device is never opened, and again on the open
   * descriptor, which O_NONBLOCK keeps from waiting if the path was swapped for
   * a FIFO in between.
   */
  static open(path: string, role: string): FileReader {
    let fd: number | undefined;
    try {
      refuseIrregular(statSync(path), path, role);
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      const stat = fstatSync(fd);
      refuseIrregular(stat, path, role);
      return new FileReader(fd, stat.size, path);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      throw error instanceof UserError ? error : unreadable(path, role, error);
    }
  }

  read(offset: number, length: number): Uint8Array {
    const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - offset)));
    const done = this.readInto(offset, buffer);
    return done === buffer.length ? buffer : buffer.subarray(0, done);
  }

  readInto(offset: number, target: Uint8Array): number {
    const n = Math.max(0, Math.min(target.length, this.size - offset));
    let done = 0;
    while (done < n) {
      const got = readSync(this.fd, target, done, n - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return done;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function refuseIrregular(stat: Stats, path: string, role: string): void {
  if (stat.isFile()) return;
  throw new UserError(
    `${role} ${path} is ${kindOf(stat)}, not a regular file`,
    EXIT.unreadable,
    `Pass the path of the ${role} file itself`,
  );
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function unreadable(path: string, role: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${role} ${path} does not exist`, EXIT.unreadable, 'Check the path');
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(
      `${role} ${path} is not readable`,
      EXIT.unreadable,
      'Check its permissions (cores are written mode 0600 by their owner)',
    );
  return new UserError(`${role} ${path} cannot be read: ${(error as Error).message}`, EXIT.unreadable);
}
