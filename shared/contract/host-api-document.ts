import { z } from 'zod';
import {
  Acknowledge,
  HOST_API_PATH,
  HOST_API_VERSION,
  MAX_MESSAGE_BYTES,
  hostApiCommands,
  hostApiEvents,
  hostApiUnsolicited,
} from './host-api.ts';

type Described = { schema: z.ZodType; summary: string };

const commandSummaries: Record<keyof typeof hostApiCommands, string> = {
  'Common.Status': 'Whether an offer would be shown now (ready, busy, degraded and why), the display model and the flows.',
  'Common.Cancel': 'Ends the running offer at once (card taken, passenger gone) and wipes the screen; the offer completes canceled.',
  'OptIn.BeginSession': 'A customer is at the terminal: entry point, locale, the verified number if the host knows it, its customer reference.',
  'OptIn.Offer': 'Shows the opt-in step for a flow and purposes; completes once with accepted, declined, timed_out, cancelled or failed. header.timeout is the deadline.',
  'OptIn.EndSession': 'The customer has left: any running offer is cancelled, the verified number forgotten.',
  'OptIn.QuerySession': 'How the last offer of a session ended: after a reconnect or a kiosk restart.',
  'OptIn.Headphones':
    'The headphone jack changed (XFS4IoT Auxiliaries enhancedAudioSensor): present starts speech in the screen’s language and offers the screen blank; notPresent stops speech and shows the screen. No session needed.',
};

/** The JSON Schema of one message, as AsyncAPI embeds it (its own $schema dropped). */
function payloadOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

/**
 * The AsyncAPI 3.0 document for integrators, generated from the zod schemas in host-api.ts (so it cannot drift from
 * what the kiosk parses): written to docs/host-api.asyncapi.json by `npm run build:host-api-doc`, and a test checks
 * the checked-in copy is up to date. It describes the kiosk: it receives commands and sends the rest.
 */
export function hostApiDocument() {
  const received: Record<string, Described> = {};
  const sent: Record<string, Described> = { Acknowledge: { schema: Acknowledge, summary: 'Sent at once for every message; a status means refused (no completion follows).' } };
  for (const [name, { command, completion }] of Object.entries(hostApiCommands)) {
    received[name] = { schema: command, summary: commandSummaries[name as keyof typeof hostApiCommands] };
    sent[`${name}.Completion`] = { schema: completion, summary: `The one completion of ${name}.` };
  }
  for (const [name, schema] of Object.entries(hostApiEvents)) sent[name] = { schema, summary: 'An event of the running OptIn.Offer, with its requestId.' };
  for (const [name, schema] of Object.entries(hostApiUnsolicited)) sent[name] = { schema, summary: 'Unsolicited: requestId null.' };

  const ref = (name: string) => ({ $ref: `#/channels/hostApi/messages/${name}` });
  const all = { ...received, ...sent };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Consent kiosk Host Integration API',
      version: HOST_API_VERSION,
      description:
        'JSON messages over a WebSocket on the kiosk\'s loopback interface, XFS4IoT style: every command is acknowledged at once and completed exactly once; ' +
        `events carry the command's requestId. One host application at a time; messages of at most ${MAX_MESSAGE_BYTES} bytes. See docs/host-integration.md.`,
    },
    defaultContentType: 'application/json',
    servers: {
      kiosk: {
        host: '127.0.0.1:{port}',
        protocol: 'ws',
        pathname: HOST_API_PATH,
        description: 'The kiosk writes the URL and the per-install secret to its credentials file (mode 0600), host-api.json in its data directory.',
        variables: { port: { description: 'KIOSK_HOST_API_PORT, or any free port (read it from the credentials file).' } },
        security: [{ $ref: '#/components/securitySchemes/installSecret' }],
      },
    },
    channels: {
      hostApi: {
        address: HOST_API_PATH,
        messages: Object.fromEntries(Object.keys(all).map((name) => [name, { $ref: `#/components/messages/${name}` }])),
      },
    },
    operations: {
      receiveCommands: { action: 'receive', channel: { $ref: '#/channels/hostApi' }, messages: Object.keys(received).map(ref) },
      sendAnswers: { action: 'send', channel: { $ref: '#/channels/hostApi' }, messages: Object.keys(sent).map(ref) },
    },
    components: {
      securitySchemes: {
        installSecret: {
          type: 'httpApiKey',
          name: 'Authorization',
          in: 'header',
          description: 'Authorization: Bearer <secret> on the WebSocket upgrade. Requests with an Origin header, or a Host other than 127.0.0.1:<port> or localhost:<port>, are refused.',
        },
      },
      messages: Object.fromEntries(
        Object.entries(all).map(([name, { schema, summary }]) => [name, { name, summary, payload: payloadOf(schema) }]),
      ),
    },
  };
}
