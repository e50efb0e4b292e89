import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfile } from '../../../electron/host/profile-file.ts';
import { contrastRatio } from '../../../shared/contrast.ts';

const demo = () => JSON.parse(readFileSync('profiles/demo.json', 'utf8')) as { flows: Array<{ id: string; brand?: Record<string, unknown> & { colours: Record<string, string> } }> };
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

function loadWith(edit: (profile: ReturnType<typeof demo>) => void) {
  dir = mkdtempSync(path.join(tmpdir(), 'brand-'));
  const file = path.join(dir, 'profile.json');
  const profile = demo();
  edit(profile);
  writeFileSync(file, JSON.stringify(profile));
  return () => loadProfile(file);
}

describe('a business brand in the profile', () => {
  it('computes contrast as WCAG defines it', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
    // WCAG's own example pair: #767676 on white is just above 4.5:1.
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it('loads the demo profile, where each business has its own logo, colours and typeface', () => {
    const profile = loadWith(() => {})();
    const [bank, airline] = profile.flows.map((flow) => flow.brand!);
    expect(bank!.colours.primary).not.toBe(airline!.colours.primary);
    expect(bank!.typeface).not.toEqual(airline!.typeface);
    expect(bank!.logo).toMatch(/^data:image\/svg\+xml;base64,/);
  });

  it('refuses a profile whose colours fail WCAG AA, naming the pair and the ratio', () => {
    const load = loadWith((profile) => {
      profile.flows[0]!.brand!.colours.onPrimary = '#f0a0c0';
    });
    expect(load).toThrow(/onPrimary #f0a0c0 on primary #a3164f has a contrast of 3\.77:1, below WCAG AA's 4\.5:1/);
  });

  it('refuses a logo that is not an image carried in the profile', () => {
    const load = loadWith((profile) => {
      profile.flows[1]!.brand!.logo = 'https://sora-airlines.example/logo.svg';
    });
    expect(load).toThrow(/logo.*data: URL/);
  });
});
