// Types of build/bundle-host.mjs, which stays plain JavaScript because it runs before anything is compiled.
export const hostBundle: string;
export function newestMtime(entry: string): number;
export function hostBundleIsStale(): boolean;
export function bundleHost(): Promise<void>;
export function bundleInstalledHost(options: { appDir: string; version: string }): Promise<string[]>;
