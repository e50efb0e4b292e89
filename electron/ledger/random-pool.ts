import crypto from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Fresh CSPRNG bytes, drawn from a 4 KiB block so a capture's salt and IV cost one system call per ~100 events
 * instead of two each. Every byte is handed out once and copied, never reused.
 */
export function randomBytes(length: number): Buffer {
  if (offset + length > pool.length) {
    pool = crypto.randomBytes(Math.max(POOL_BYTES, length));
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + length));
  offset += length;
  return bytes;
}
