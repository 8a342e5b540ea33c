import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { DomainError, type ErrorKind } from '../domain/errors.ts';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unsupported_media_type: 415,
};

/** The one error envelope of both APIs. */
export function errorEnvelope(code: string, message: string, details: DomainError['details']): object {
  return { meta: { result: 'error' }, error: { code, message, details } };
}

export function sendError(res: Response, error: DomainError): void {
  res.status(STATUS[error.kind]).json(errorEnvelope(error.code, error.message, error.details));
}

export const unknownRoute: RequestHandler = (req, res) => {
  sendError(res, new DomainError('not_found', 'NOT_FOUND', `No route for ${req.method} ${req.path}.`, [{ field: 'path', problem: `no route ${req.method} ${req.path}` }]));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Where errors inside Express become responses (transport-errors.ts answers those Node refuses before Express): domain refusals and body-parser failures are 4xx; anything else is a bug. */
export const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) return next(error);
  if (error instanceof DomainError) return sendError(res, error);
  const parserError = error as BodyParserError;
  if (parserError.type === 'entity.parse.failed') {
    return sendError(res, new DomainError('invalid', 'MALFORMED_JSON', 'The request body is not valid JSON.', [{ field: 'body', problem: 'is not valid JSON' }]));
  }
  if (parserError.type === 'charset.unsupported' || parserError.type === 'encoding.unsupported') {
    return sendError(res, new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 application/json.', [
      { field: 'Content-Type', problem: 'charset or encoding is not supported' },
    ]));
  }
  if (parserError.type === 'entity.too.large') {
    return sendError(res, new DomainError('invalid', 'BODY_TOO_LARGE', 'The request body is too large.', [{ field: 'body', problem: 'is too large' }]));
  }
  if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return sendError(res, new DomainError('invalid', 'INVALID_REQUEST', 'The request body cannot be read.', [{ field: 'body', problem: 'cannot be read' }]));
  }
  console.error(error);
  res.status(500).json(errorEnvelope('INTERNAL_ERROR', 'The simulator hit a bug.', []));
};
