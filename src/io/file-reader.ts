import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ByteReader } from '../elf/byte-reader.js';
import { EXIT, UserError } from '../errors.js';

/** Positioned reads from a file, so a core of any size costs only what is read. */
export class FileReader implements ByteReader {
  private constructor(
    private readonly fd: number,
    readonly size: number,
    readonly name: string,
  ) {}

  static open(path: string, role: string): FileReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw unreadable(path, role, error);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw new UserError(
        `${role} ${path} is not a regular file`,
        EXIT.unreadable,
        `Pass the path of the ${role} file itself`,
      );
    }
    return new FileReader(fd, stat.size, path);
  }

  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const got = readSync(this.fd, buffer, done, n - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return done === n ? buffer : buffer.subarray(0, done);
  }

  close(): void {
    closeSync(this.fd);
  }
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
  if (code === 'EISDIR')
    return new UserError(`${role} ${path} is a directory`, EXIT.unreadable, `Pass the path of the ${role} file itself`);
  return new UserError(`${role} ${path} cannot be read: ${(error as Error).message}`, EXIT.unreadable);
}
