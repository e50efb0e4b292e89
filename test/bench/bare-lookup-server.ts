/**
 * The floor bench:check measures the consent check against: a bare HTTP server (node:http, no framework, no
 * schema, no token) on the same store and driver as the API, answering from one indexed read of consent_state by
 * its primary key (phone key, business, purpose), or one read for many numbers. What the API spends above it is
 * what its own layers cost. Started by test/bench/check.bench.ts with the API's environment.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { openStore } from '../../server/store/store.ts';
import { BENCH_BUSINESS } from './bench-api.ts';

const store = await openStore({ dataDir: process.env.CONSENT_API_DATA_DIR!, databaseUrl: process.env.DATABASE_URL, clockToleranceMs: 60_000 }, undefined, () => {});
const { inList, list } = store.db.dialect;
const COLUMNS = 'phone_key AS "phoneKey", kind, effective_ms AS "effectiveMs"';
const ONE = `SELECT ${COLUMNS} FROM consent_state WHERE phone_key = ? AND business_id = ? AND purpose_id = ?`;
const MANY = `SELECT ${COLUMNS} FROM consent_state WHERE ${inList('phone_key')} AND business_id = ? AND purpose_id = ?`;

async function bodyOf(request: IncomingMessage): Promise<{ phone?: string; phones?: string[]; purposeId: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer(async (request, response) => {
  const body = await bodyOf(request);
  const answer =
    request.url === '/one'
      ? { allowed: (await store.db.get<{ kind: string }>(ONE, [store.lookup(body.phone!), BENCH_BUSINESS.id, body.purposeId]))?.kind === 'opt_in' }
      : { rows: (await store.db.all(MANY, [list(body.phones!.map((phone) => store.lookup(phone))), BENCH_BUSINESS.id, body.purposeId])).length };
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`bare lookup listening on http://127.0.0.1:${port}`);
});
process.once('SIGTERM', () => server.close(() => void store.close().then(() => process.exit(0))));
