/**
 * `npm run build:host-api-doc`: writes docs/host-api.asyncapi.json from the host API's zod schemas. A unit test
 * (test/unit/integration/host-api-doc.test.ts) fails when the checked-in document is out of date.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostApiDocument } from '../shared/contract/host-api-document.ts';

export const documentPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'host-api.asyncapi.json');

export const documentText = () => `${JSON.stringify(hostApiDocument(), null, 2)}\n`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(documentPath, documentText());
  console.log(`Wrote ${path.relative(process.cwd(), documentPath)}`);
}
