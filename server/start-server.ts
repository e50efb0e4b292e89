import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withDirectCheck } from './http/direct-check.ts';
import { createApp } from './app.ts';
import { parseServerConfig, type ServerConfigInput } from './config.ts';
import { openStore, type Store } from './store/store.ts';
import { startIngestWriter } from './ingest/ingest-writer.ts';

export interface StartServerOptions extends ServerConfigInput {
  /** Where operational lines go (default: stderr). Never receives a phone number unmasked. */
  log?: (line: string) => void;
  now?: () => Date;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8787 (the real port when `port: 0` was asked for). */
  url: string;
  port: number;
  store: Store;
  close: () => Promise<void>;
}

/** Opens the store (PostgreSQL at `databaseUrl`, else SQLite in `dataDir`), then listens; resolves once the port is bound. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { log = (line: string) => console.error(line), now = () => new Date(), ...input } = options;
  const config = parseServerConfig(input);
  const store = await openStore(config, now, log);
  try {
    for (const business of config.businesses) {
      const outcome = await store.businesses.put(business);
      if (!outcome.ok) throw new Error(`the configured business ${business.id} has the ${outcome.conflict} of ${outcome.with}`);
    }
    if (config.devEnrolmentToken !== undefined) await store.devices.addToken(config.devEnrolmentToken);
  } catch (error) {
    await store.close();
    throw error;
  }
  const ingestWriter = startIngestWriter(config, log);
  void ingestWriter.warm().catch((error: unknown) => log(`ingest writer not started yet: ${(error as Error).message}`));
  const app = createApp({ store, ingestWriter, config, log, now });

  // POST /v1/consent/check is answered ahead of hono (http/direct-check.ts); everything else goes to the app
  const server = createServer(withDirectCheck({ store, config, log }, getRequestListener(app.fetch, { hostname: config.host })));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  return {
    url: `http://${host}:${port}`,
    port,
    store,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          void ingestWriter
            .close()
            .then(() => store.close())
            .then(() => (error ? reject(error) : resolve()), reject);
        });
        server.closeAllConnections();
      }),
  };
}
