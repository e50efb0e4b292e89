/**
 * What the server benchmarks that drive the API over HTTP share: a kiosk's device key, a signed backlog of its
 * ledger, the API started as its own process on loopback, and a JSON POST.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { GENESIS_HASH } from '../../shared/contract/consent-event.ts';
import { canonicalJson } from '../../shared/event-bytes.ts';

export const BENCH_BUSINESS = { id: 'bench-bank', name: 'Bench Bank', whatsappNumber: '+81312345678' };
export const BENCH_ENROLMENT_TOKEN = 'ingest-bench-enrolment-token-01';
const PER_CAPTURE = 20;

export const sha256Hex = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

export interface BenchDevice {
  deviceId: string;
  keyId: string;
  publicKey: string;
  privateKey: KeyObject;
}

export function newDevice(): BenchDevice {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = pair.publicKey.export({ format: 'jwk' }).x as string;
  return { deviceId: uuidv4(), keyId: sha256Hex(Buffer.from(publicKey, 'base64url')).slice(0, 32), publicKey, privateKey: pair.privateKey };
}

export interface BacklogItem {
  event: Record<string, unknown>;
  subject: unknown;
}

/**
 * A ledger's backlog: twenty purposes per capture sharing one opening, chained and signed, in the given version.
 * Numbers are `+8190` and eight digits from `firstNumber` on, one capture's number per twenty events.
 */
export function backlog(device: BenchDevice, version: 1 | 2, count: number, firstNumber = 10_000_000) {
  const bootId = randomUUID();
  let prev = GENESIS_HASH;
  const items: BacklogItem[] = [];
  let opening: { phone: string; salt: string } | null = null;
  let commitment = '';
  for (let seq = 1; seq <= count; seq++) {
    if ((seq - 1) % PER_CAPTURE === 0) {
      opening = { phone: `+8190${firstNumber + seq}`, salt: randomBytes(16).toString('base64url') };
      commitment = sha256Hex(canonicalJson(opening));
    }
    const terms = {
      id: uuidv7(),
      seq,
      prev,
      device: { id: device.deviceId, keyId: device.keyId },
      kind: 'opt_in',
      subject: { source: 'self_entered', commitment },
      purpose: { id: `p${String((seq - 1) % PER_CAPTURE).padStart(2, '0')}`, category: 'utility' },
      notice: { id: 'bench', version: '1', locale: 'en', text: 'I agree to receive these notices from Bench Bank on WhatsApp (+81 3-1234-5678). I can opt out at any time.' },
      channel: 'atm',
      entryPoint: 'atm.after_transaction',
      flowId: 'bench',
      capturedAt: new Date(Date.now() - 3_600_000 + seq).toISOString(),
    };
    const body =
      version === 1
        ? { v: 1, ...terms, business: { name: BENCH_BUSINESS.name, whatsappNumber: BENCH_BUSINESS.whatsappNumber }, clock: { knownGood: true } }
        : { v: 2, type: 'consent', ...terms, business: BENCH_BUSINESS, clock: { knownGood: true, bootId, monoMs: 1_000_000 + seq } };
    const bytes = Buffer.from(canonicalJson(body));
    prev = sha256Hex(bytes);
    items.push({ event: { ...body, sig: sign(null, bytes, device.privateKey).toString('base64url') }, subject: opening });
  }
  return { items, bootId, prev };
}

export interface ApiProcess {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * Starts `script` (the API's server/main.ts of the tree at `root`, by default) as its own process and resolves
 * with the URL it prints. SERVER_BENCH_CPU_PROFILE=DIR writes the process's V8 CPU profiles there (one per thread).
 */
export async function startApi(root: string, env: Record<string, string>, script = join(root, 'server/main.ts')): Promise<ApiProcess> {
  const profile = process.env.SERVER_BENCH_CPU_PROFILE;
  const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      CONSENT_API_PORT: '0',
      CONSENT_API_DEV_ENROLMENT_TOKEN: BENCH_ENROLMENT_TOKEN,
      CONSENT_API_BUSINESSES: JSON.stringify([BENCH_BUSINESS]),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // a bench that fails leaves no API behind
  const orphaned = () => child.kill();
  process.once('exit', orphaned);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return { url, pid: child.pid!, stop: () => new Promise<void>((resolve) => (process.off('exit', orphaned), child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

export const post = (url: string, body: unknown, credential?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
  });

/** Enrols `device` with a one-time enrolment token (the bench's development token by default); its bearer credential. */
export async function enrol(apiUrl: string, device: BenchDevice, token = BENCH_ENROLMENT_TOKEN): Promise<string> {
  const enrolled = await post(`${apiUrl}/v1/devices/enrol`, { token, deviceId: device.deviceId, keyId: device.keyId, publicKey: device.publicKey, appVersion: 'bench' });
  if (!enrolled.ok) throw new Error(`enrolment failed: ${enrolled.status}`);
  return ((await enrolled.json()) as { credential: string }).credential;
}

/** The clock observation a kiosk's sync records when it begins, signed: the last event of a v2 backlog of `seq - 1` events. */
export async function observationEvent(apiUrl: string, credential: string, device: BenchDevice, seq: number, prev: string, bootId: string): Promise<BacklogItem> {
  const response = await fetch(`${apiUrl}/v1/devices/head`, { headers: { authorization: `Bearer ${credential}` } });
  const statement = await response.json();
  const now = new Date().toISOString();
  const body = {
    v: 2, type: 'clock_observation', id: uuidv7(), seq, prev, device: { id: device.deviceId, keyId: device.keyId },
    capturedAt: now, clock: { knownGood: true, bootId, monoMs: 2_000_000 }, statement,
    sent: { at: now, monoMs: 2_000_000 }, received: { at: now, monoMs: 2_000_000 },
  };
  return { event: { ...body, sig: sign(null, Buffer.from(canonicalJson(body)), device.privateKey).toString('base64url') }, subject: null };
}
