import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isExecutable } from './bridge/launch-chromium.ts';

/**
 * Where `require('electron')` would point in the checkout at `root`, found without importing electron into Node
 * code; null where the binary was never downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD=1).
 */
export function electronBinary(root: string): string | null {
  const pathFile = path.join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return isExecutable(binary) ? binary : null;
}
