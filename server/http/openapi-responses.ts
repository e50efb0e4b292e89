import { KioskError } from '../../shared/contract/errors.ts';

/** The error body every non-2xx response carries, for the OpenAPI document. */
export const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: KioskError } } });

export const jsonBody = <S>(schema: S) => ({ content: { 'application/json': { schema } }, required: true });
