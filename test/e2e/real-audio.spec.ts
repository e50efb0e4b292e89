import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, test } from '@playwright/test';
import { HostClient } from '../../sdk/host-client/index.ts';
import { expect, startKiosk } from './kiosk-fixture.ts';
import { openKiosk } from './kiosk-screens.ts';

/**
 * The one test that hears the kiosk speak. Chromium's speechSynthesis on Linux goes to speech-dispatcher (with
 * --enable-speech-dispatcher), which speaks with espeak-ng into PulseAudio; here PulseAudio has only a null sink,
 * whose monitor parec records as 16-bit samples. What is asserted is sound energy, not words: that headphones in
 * make the terminal's audio output carry speech, and headphones out make it fall silent.
 */
const tools = ['speech-dispatcher', 'pulseaudio', 'parec'];
const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

const RATE = 16_000;
/** Root mean square of 16-bit samples, 0…1. */
const rms = (samples: Buffer) => {
  let sum = 0;
  for (let at = 0; at + 1 < samples.length; at += 2) sum += (samples.readInt16LE(at) / 32_768) ** 2;
  return Math.sqrt(sum / Math.max(1, samples.length / 2));
};

// eslint-disable-next-line no-empty-pattern -- Playwright reads a test's fixtures from this pattern; this test makes its own browser
test('headphones in: the terminal’s audio output carries the kiosk’s speech; headphones out: it falls silent', async ({}, testInfo) => {
  test.skip(missing.length > 0, `needs ${missing.join(', ')} (Debian: speech-dispatcher speech-dispatcher-espeak-ng pulseaudio pulseaudio-utils)`);
  test.setTimeout(90_000);
  const runtime = mkdtempSync(path.join(tmpdir(), 'kiosk-audio-'));
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, HOME: runtime, PULSE_SERVER: `unix:${runtime}/pulse/native` };
  const started: ChildProcess[] = [];
  const kiosk = await startKiosk((profile) => void delete profile.hostIntegration.demoHost);
  try {
    started.push(
      spawn('pulseaudio', ['-n', '--daemonize=no', '--exit-idle-time=-1', '--load=module-native-protocol-unix', '--load=module-null-sink sink_name=headphones', '--load=module-always-sink'], {
        env,
        stdio: 'ignore',
      }),
    );
    await expect.poll(() => existsSync(`${runtime}/pulse/native`), { timeout: 10_000 }).toBe(true);
    spawnSync('pactl', ['set-default-sink', 'headphones'], { env });
    const recording = spawn('parec', ['-d', 'headphones.monitor', '--format=s16le', `--rate=${RATE}`, '--channels=1', '--raw'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(recording);
    const heard: Buffer[] = [];
    recording.stdout!.on('data', (chunk: Buffer) => heard.push(chunk));
    const loudness = (fromByte: number) => rms(Buffer.concat(heard).subarray(fromByte));
    const recorded = () => Buffer.concat(heard).length;

    const browser = await chromium.launch({
      executablePath: testInfo.project.use.launchOptions?.executablePath,
      args: [...(testInfo.project.use.launchOptions?.args ?? []), '--enable-speech-dispatcher'],
      env,
    });
    const page = await browser.newPage();
    await openKiosk(page, kiosk);
    const client = await HostClient.connect({ credentialsFile: kiosk.hostApi.credentialsFile });
    kiosk.cleanUp(() => client.close());

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const quiet = loudness(0);
    let from = recorded();
    await client.headphones('present');
    // Half a second of speech in any one reading is far above the null sink's silence.
    await expect.poll(() => loudness(from), { timeout: 20_000, intervals: [500] }).toBeGreaterThan(0.01);
    expect(quiet).toBeLessThan(0.001);

    await client.headphones('notPresent');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    from = recorded();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(loudness(from)).toBeLessThan(0.001);
    await browser.close();
  } finally {
    for (const child of started.reverse()) child.kill('SIGTERM');
    // speech-dispatcher spawned itself for Chromium, with its pid in the runtime directory.
    const pidFile = path.join(runtime, 'speech-dispatcher', 'pid', 'speech-dispatcher.pid');
    if (existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
    await kiosk.dispose();
    rmSync(runtime, { recursive: true, force: true });
  }
});
