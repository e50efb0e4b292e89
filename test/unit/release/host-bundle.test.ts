import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { englishZodMessagesOnly } from '../../../build/bundle-host.mjs';

const scratch = mkdtempSync(path.join(tmpdir(), 'host-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Bundles a module that imports zod as the host does, with or without the plugin, and runs it. */
async function bundled(plugins: Plugin[]): Promise<{ bytes: number; locales: string[]; message: string }> {
  const entry = path.join(scratch, 'entry.ts');
  const outfile = path.join(scratch, `out-${plugins.length}.mjs`);
  await build({
    stdin: {
      contents: "import { z } from 'zod'; export const locales = Object.keys(z.locales); export const message = z.object({ n: z.string() }).safeParse({ n: 1 }).error?.issues[0]?.message;",
      resolveDir: process.cwd(),
      sourcefile: entry,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    plugins,
    logLevel: 'silent',
  });
  const { locales, message } = await import(pathToFileURL(outfile).href);
  return { bytes: readFileSync(outfile).length, locales, message };
}

describe('the host bundle', () => {
  it("carries zod's English messages only, and they still read as before", async () => {
    const whole = await bundled([]);
    const trimmed = await bundled([englishZodMessagesOnly]);
    expect(whole.locales.length).toBeGreaterThan(40);
    expect(trimmed.locales).toEqual(['en']);
    expect(trimmed.message).toBe(whole.message);
    expect(trimmed.message).toMatch(/expected string, received number/);
    expect(whole.bytes - trimmed.bytes).toBeGreaterThan(300_000);
  });
});
