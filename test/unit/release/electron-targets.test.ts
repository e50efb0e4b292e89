import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkElectronBuilderConfig, refuseNodeBuiltModule } from '../../../build/release/electron-targets.ts';

const nodeBuiltSqlite = path.resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node');

describe('the Electron installers', () => {
  it('refuse a better-sqlite3 that plain Node can load: it was built for Node, not Electron', () => {
    // node_modules holds the Node build (npm install, no Electron headers here): exactly what a "rebuild for
    // Electron" without the headers leaves behind.
    expect(() => refuseNodeBuiltModule(nodeBuiltSqlite)).toThrow(
      `${nodeBuiltSqlite} loads in plain Node ${process.versions.node} (ABI ${process.versions.modules}), so it was not built for Electron: rebuild it with the Electron headers (docs/release.md).`,
    );
  });

  it('refuse a file that is no native module at all', () => {
    const notAModule = path.join(fs.mkdtempSync(path.join(tmpdir(), 'not-a-module-')), 'better_sqlite3.node');
    fs.writeFileSync(notAModule, 'not an ELF file');
    expect(() => refuseNodeBuiltModule(notAModule)).toThrow(/is not a loadable native module/);
  });

  it('are configured as electron-builder itself accepts, signed, hardened, with better-sqlite3 the only unpacked module', async () => {
    await expect(checkElectronBuilderConfig()).resolves.toBeUndefined();
    const config = fs.readFileSync('electron-builder.yml', 'utf8');
    expect(config).toMatch(/^forceCodeSigning: true$/m);
    expect(config).toMatch(/^asar:\n {2}smartUnpack: false\nasarUnpack:\n {2}- node_modules\/better-sqlite3\/\*\*\n(?! {2}-)/m);
    for (const fuse of ['runAsNode: false', 'enableNodeOptionsEnvironmentVariable: false', 'enableNodeCliInspectArguments: false', 'onlyLoadAppFromAsar: true', 'enableEmbeddedAsarIntegrityValidation: true']) {
      expect(config).toContain(`  ${fuse}\n`);
    }
  });
});
