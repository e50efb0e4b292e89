// Types of build/bundle-host.mjs, which stays plain JavaScript because it runs before anything is compiled.
import type { Plugin } from 'esbuild';
export const hostBundle: string;
export function newestMtime(entry: string): number;
export function hostBundleIsStale(): boolean;
export function bundleHost(): Promise<void>;
export function bundleInstalledHost(options: { appDir: string; version: string }): Promise<string[]>;
/** The esbuild plugin that leaves all of zod's locales but English out of a bundle. */
export const englishZodMessagesOnly: Plugin;
