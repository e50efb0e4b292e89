import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { electronBinary } from '../../electron/electron-binary.ts';
import { repoRoot } from './app-tree.ts';
import { ReleaseError, runTool } from './run-tool.ts';

type ElectronTargets = { built: string[]; notBuilt: string[] };

/** electron-builder's own check of electron-builder.yml, so a broken config shows here, not on the packaging machine. */
export async function checkElectronBuilderConfig(): Promise<void> {
  const { getConfig } = (await import('app-builder-lib/out/util/config/load.js')) as {
    getConfig(request: { packageKey: string; configFilename: string; projectDir: string }, configPath: string): Promise<{ result: object }>;
  };
  const { validateConfiguration } = (await import('app-builder-lib/out/util/config/config.js')) as {
    validateConfiguration(config: object, logger: object): Promise<void>;
  };
  const { DebugLogger } = (await import('builder-util')) as { DebugLogger: new (enabled: boolean) => object };
  const request = { packageKey: 'build', configFilename: 'electron-builder', projectDir: repoRoot };
  try {
    const { result } = await getConfig(request, 'electron-builder.yml');
    await validateConfiguration(result, new DebugLogger(false));
  } catch (error) {
    throw new ReleaseError(`electron-builder.yml is not valid for electron-builder: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
  }
}

/**
 * better-sqlite3 in an Electron package must be built for Electron's ABI. A "rebuild for Electron" without the
 * Electron headers quietly builds for Node's instead, and the app would fail only on the terminal; a module that
 * plain Node can load is therefore refused.
 */
export function refuseNodeBuiltModule(nativeModule: string): void {
  const probe = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', nativeModule], { encoding: 'utf8' });
  if (probe.status === 0) {
    throw new ReleaseError(
      `${nativeModule} loads in plain Node ${process.versions.node} (ABI ${process.versions.modules}), so it was not built for Electron: rebuild it with the Electron headers (docs/release.md).`,
    );
  }
  if (!/NODE_MODULE_VERSION/.test(probe.stderr)) {
    throw new ReleaseError(`${nativeModule} is not a loadable native module: ${probe.stderr.trim().split('\n')[0]}`);
  }
}

function newFiles(dir: string, before: Set<string>, pattern: RegExp): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => pattern.test(name) && !before.has(name))
    .map((name) => path.join(dir, name));
}

/**
 * electron-builder's deb and AppImage (Linux) and NSIS (Windows) targets, where the Electron binary is installed;
 * otherwise each is named with the reason. NSIS is built on Windows, or on Linux with Wine, and only signed:
 * forceCodeSigning fails it without an Authenticode certificate (CSC_LINK).
 */
export async function buildElectronTargets(outDir: string): Promise<ElectronTargets> {
  const binary = electronBinary(repoRoot);
  if (!binary) {
    const why = 'the Electron binary is not installed here (node_modules/electron/dist; ELECTRON_SKIP_BINARY_DOWNLOAD=1), nor are its headers; see docs/release.md';
    return { built: [], notBuilt: ['deb', 'AppImage', 'NSIS'].map((target) => `electron-builder ${target} (Electron shell): ${why}`) };
  }
  fs.mkdirSync(outDir, { recursive: true });
  const before = new Set(fs.readdirSync(outDir));
  const builder = (args: string[]) => runTool('npx', ['electron-builder', ...args, `-c.directories.output=${outDir}`], { cwd: repoRoot, stdio: 'inherit' });
  runTool('npm', ['run', '--silent', 'build:renderer'], { cwd: repoRoot, stdio: 'inherit' });
  runTool('npm', ['run', '--silent', 'build:shell'], { cwd: repoRoot, stdio: 'inherit' });
  const notBuilt: string[] = [];
  if (process.platform === 'linux') {
    builder(['--linux', 'deb', 'AppImage']);
    refuseNodeBuiltModule(path.join(outDir, 'linux-unpacked', 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
  } else {
    notBuilt.push('electron-builder deb and AppImage (Electron shell): they are built on Linux');
  }
  const canBuildWindows = process.platform === 'win32' || spawnSync('wine', ['--version']).status === 0;
  if (!canBuildWindows) notBuilt.push('electron-builder NSIS (Electron shell): needs Windows, or Wine on Linux');
  else if (!process.env.CSC_LINK && !process.env.WIN_CSC_LINK) notBuilt.push('electron-builder NSIS (Electron shell): no Authenticode certificate (CSC_LINK), and releases are signed only');
  else builder(['--win', 'nsis']);
  return { built: newFiles(outDir, before, /\.(deb|AppImage|exe)$/), notBuilt };
}
