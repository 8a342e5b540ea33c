import { DomainError, type ErrorDetail, type ErrorKind } from '../domain/errors.ts';

/** What the engine answers to every operation, refusals included; the HTTP adapter only writes it. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** How a fault wants the answer delivered: late, or lost after the operation ran. */
  delivery?: { latencyMs: number; lose?: 'reset' | 'malformed' | 'timeout' };
  /** Settles once the change this answer acknowledges is in the state log; an adapter answers only then. */
  durable?: Promise<void>;
  /**
   * A body too large to make in one go (a snapshot export, for an adapter that asked with `streamable`): its
   * JSON text in pieces, and the store that must not change until the last piece is written.
   */
  stream?: { store: string; pieces: () => Iterable<string> };
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
};

/** The one error envelope of both APIs. */
export function errorEnvelope(code: string, message: string, details: ErrorDetail[]): object {
  return { meta: { result: 'error' }, error: { code, message, details } };
}

export function refusal(error: DomainError): Answer {
  const headers: Record<string, string> = error.challenge ? { 'WWW-Authenticate': error.challenge } : error.kind === 'unavailable' ? { 'Retry-After': '1' } : {};
  return { status: STATUS[error.kind], headers, body: errorEnvelope(error.code, error.message, error.details) };
}

/** Only a bug answers 500. */
export const BUG_ANSWER: Answer = Object.freeze({ status: 500, headers: {}, body: errorEnvelope('INTERNAL_ERROR', 'The simulator hit a bug.', []) });

/**
 * Where bugs go: the caller's `onBug`, else `console.error`. A report never becomes the next bug: an
 * `onBug` that throws would otherwise leave a request unanswered.
 */
export function reporter(onBug?: (error: unknown) => void): (error: unknown) => void {
  if (!onBug) return (error) => console.error(error);
  return (error) => {
    try {
      onBug(error);
    } catch (reportError) {
      console.error(error, reportError);
    }
  };
}

/** A refusal for what the engine refuses, a 500 (reported) for anything else. */
export function answerError(error: unknown, report: (error: unknown) => void): Answer {
  if (error instanceof DomainError) return refusal(error);
  report(error);
  return BUG_ANSWER;
}
