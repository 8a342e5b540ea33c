import { DomainError, malformedJson } from '../domain/errors.ts';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** What a refused request body means to the caller; undefined for anything that is not a body-parser refusal (a bug). */
export function bodyRefusal(error: unknown): DomainError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const parserError = error as BodyParserError;
  if (parserError.type === 'entity.parse.failed') return malformedJson();
  if (parserError.type === 'charset.unsupported' || parserError.type === 'encoding.unsupported') {
    return new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 application/json.', [
      { field: 'Content-Type', problem: 'charset or encoding is not supported' },
    ]);
  }
  if (parserError.type === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    const over = limit ? `is over the ${Math.round(limit / 1024 / 1024)} MB limit` : 'is too large';
    return new DomainError('too_large', 'BODY_TOO_LARGE', `The request body ${over}.`, [{ field: 'body', problem: over }]);
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new DomainError('invalid', 'INVALID_REQUEST', 'The request body cannot be read.', [{ field: 'body', problem: 'cannot be read' }]);
  }
  return undefined;
}
