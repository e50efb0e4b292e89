import fs from 'node:fs';
import path from 'node:path';

type PackageJson = { name: string; version: string; license?: string };

/** The package directory a bundled source file belongs to: the path up to its last node_modules/<name>. */
function packageDirOf(file: string): string | null {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return null;
  const scoped = parts[at + 1]!.startsWith('@');
  return parts.slice(0, at + (scoped ? 3 : 2)).join(path.sep);
}

const LICENCE_FILE = /^(licen[sc]e|copying)(\.(md|txt))?$/i;

/**
 * Name, version, licence and licence text of every npm package whose code went into the bundles: what the
 * package's copyright file points to (the bundles carry no licence headers of their own).
 */
export function thirdPartyLicences(bundledFiles: string[]): string {
  const dirs = [...new Set(bundledFiles.map(packageDirOf).filter((dir): dir is string => dir !== null))];
  const packages = dirs
    .map((dir) => ({ dir, meta: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson }))
    .sort((a, b) => a.meta.name.localeCompare(b.meta.name));
  const sections = packages.map(({ dir, meta }) => {
    const licenceFile = fs.readdirSync(dir).find((name) => LICENCE_FILE.test(name));
    const text = licenceFile ? fs.readFileSync(path.join(dir, licenceFile), 'utf8').trim() : '(the package ships no licence text)';
    return `${meta.name} ${meta.version} — ${meta.license ?? 'licence not stated'}\n\n${text}\n`;
  });
  return `npm packages bundled into the consent kiosk (out/host/, out/cli/, out/renderer/)\n\n${sections.join('\n----------------------------------------\n\n')}`;
}
