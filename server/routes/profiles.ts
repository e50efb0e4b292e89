import { createRoute } from '@hono/zod-openapi';
import { ProfilePublicationRequest, ProfilePublications } from '../../shared/contract/console.ts';
import type { ApiApp, ApiContext } from '../app.ts';
import { errorResponse, jsonBody } from '../http/openapi-responses.ts';
import type { ProfilePublisher } from '../profiles/publish-profile.ts';

const PUBLICATIONS_PAGE = 200;

const publish = createRoute({
  method: 'post',
  path: '/v1/admin/profiles',
  summary: "Publish a signed provisioning profile for sites and devices: checked against the organisation's provisioning key first; kiosks fetch it with their heartbeat",
  security: [{ admin: [] }],
  request: { body: jsonBody(ProfilePublicationRequest) },
  responses: {
    201: { description: 'Published, one row per target', content: { 'application/json': { schema: ProfilePublications } } },
    400: errorResponse('Malformed request'),
    401: errorResponse('Missing or wrong admin token'),
    403: errorResponse('Unsigned, other key, changed, expired or invalid profile; or no provisioning key configured'),
    404: errorResponse('A device named is not enrolled'),
    409: errorResponse('A revision not above the one published for a target'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/admin/profiles',
  summary: 'The profiles published, newest first',
  security: [{ admin: [] }],
  responses: { 200: { description: 'Publications', content: { 'application/json': { schema: ProfilePublications } } }, 401: errorResponse('Missing or wrong admin token') },
});

/** The admin API's side of remote profiles (the console's operator page publishes through the same publisher). */
export function registerProfileRoutes(app: ApiApp, { store, log }: ApiContext, publisher: ProfilePublisher): void {
  app.openapi(publish, async (c) => {
    const publications = await publisher(c.req.valid('json'), 'admin');
    log(`profile revision ${publications[0]!.revision} published through the admin API for ${publications.length} target(s)`);
    return c.json({ publications }, 201);
  });
  app.openapi(list, async (c) => c.json({ publications: await store.profiles.list(PUBLICATIONS_PAGE) }, 200));
}
