import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { Profile } from '../../../shared/contract/profile.ts';

const readme = readFileSync('README.md', 'utf8');
const packagesOf = (line: string | undefined) => (line ?? '').replace(/\\\n\s*/g, ' ').split(/\s+/).filter((word) => /^[a-z0-9][a-z0-9.+-]+$/.test(word) && !['apt-get', 'install'].includes(word));

describe("the README's first run", () => {
  it('names every system package the start needs, and .ci/run installs the same ones', () => {
    const named = packagesOf(/^ {4}apt-get install -y (.+)$/m.exec(readme)?.[1]);
    expect(named).toEqual(expect.arrayContaining(['chromium', 'fonts-noto-cjk', 'x11-utils', 'build-essential', 'python3']));
    const ci = readFileSync('.ci/run', 'utf8');
    const installed = packagesOf(/apt-get install -y -qq ((?:.|\\\n)+?)>\/dev\/null/.exec(ci)?.[1]);
    expect(installed).toEqual(expect.arrayContaining(named));
  });

  it('states the Node versions package.json requires, and every dependency but Electronʼs own accepts them', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    const range = manifest.engines.node;
    expect(readme).toContain(`Node: \`${range}\``);
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string }; optional?: boolean }> };
    const lowest = range.split('||').map((branch) => semver.minVersion(branch)!.version);
    const refusing = Object.entries(lock.packages).flatMap(([name, entry]) => {
      const wants = entry.engines?.node;
      if (!name || !wants || entry.optional) return [];
      return lowest.some((version) => !semver.satisfies(version, wants)) ? [name.replace(/.*node_modules\//, '')] : [];
    });
    // The README names these as the ones npm warns about on Node 20.
    expect(refusing.filter((name) => !/^(electron|@electron\/|@electron-internal\/|node-abi$)/.test(name))).toEqual([]);
    for (const name of new Set(refusing)) if (!name.startsWith('@electron-internal') && name !== 'node-abi') expect(readme).toContain(name);
  });

  it('asks the API, in its walk-through, about a purpose the default flow offers and the walk-through ticks', () => {
    const profile = Profile.parse(JSON.parse(readFileSync('profiles/demo.json', 'utf8')));
    const host = profile.hostIntegration.demoHost!;
    const hostCode = readFileSync(`examples/${host}/${host === 'atm-host' ? 'atm' : 'checkin'}-terminal.ts`, 'utf8');
    const flowId = /visit\.offer\('([a-z0-9_-]+)'\)/.exec(hostCode)?.[1];
    const flow = profile.flows.find((candidate) => candidate.id === flowId)!;
    const asked = JSON.parse(/-d '(\{[^']+\})'/.exec(readme)![1]!) as { businessId: string; purposeId: string };
    expect(asked.businessId).toBe(flow.business.id);
    const purpose = flow.purposes.find((candidate) => candidate.id === asked.purposeId);
    expect(purpose, `the default flow "${flowId}" offers no ${asked.purposeId}`).toBeDefined();
    expect(readme).toContain(`tick ${purpose!.label.en}, Review`);
  });
});
