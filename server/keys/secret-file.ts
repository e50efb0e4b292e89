import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads a key file that must be readable by its owner only: a key anyone on the machine can read is no key. Throws
 * one sentence naming the file and what is wrong, which is what the server prints when it refuses to start.
 */
export function readSecretFile(path: string, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new Error(`the ${what} file ${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`the ${what} file ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(`the ${what} file ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); make it 0600`);
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncPath(path: string, flags: number): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key file, mode 0600 from its creation, durably (file and directory entry) before anything is
 * encrypted or signed with it; refuses to overwrite an existing one, whose key stored data may depend on.
 */
export function createSecretFile(path: string, contents: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncPath(dirname(path), constants.O_RDONLY);
}
