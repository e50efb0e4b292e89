import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';

/**
 * The published Kantara CR 1.1 schema (test/fixtures/kantara), compiled with Ajv's draft-04 class. The file opens
 * with two whole-line `//` comments, as published; they are dropped before parsing, nothing else is touched.
 */
export function kantaraSchemaValidator() {
  const published = fs.readFileSync(path.resolve('test/fixtures/kantara/kantara-consent-receipt-v1_1-schema.json'), 'utf8');
  const schema = JSON.parse(published.replace(/^\s*\/\/.*$/gm, ''));
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}
