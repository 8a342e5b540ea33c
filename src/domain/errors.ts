/** What kind of refusal a domain error is; the HTTP layer maps each kind to one status. */
/** `unavailable`: what the answer depends on (a replica's shared log) cannot be reached; trying again later may work. */
export type ErrorKind = 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unsupported_media_type' | 'unavailable';

export interface ErrorDetail {
  field: string;
  problem: string;
}

/** The one error type of the simulator: thrown anywhere, turned into the error envelope in one place. */
export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: ErrorDetail[];
  /** For an `unauthorized` refusal: the credential expected, as the `WWW-Authenticate` challenge HTTP requires on a 401. */
  readonly challenge?: string;

  constructor(kind: ErrorKind, code: string, message: string, details: ErrorDetail[] = [], challenge?: string) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
    if (challenge !== undefined) this.challenge = challenge;
  }
}

export const invalid = (code: string, field: string, problem: string, message?: string): DomainError =>
  new DomainError('invalid', code, message ?? `${field}: ${problem}`, [{ field, problem }]);

export const notFound = (code: string, field: string, problem: string, message?: string): DomainError =>
  new DomainError('not_found', code, message ?? `${field}: ${problem}`, [{ field, problem }]);

export const conflict = (code: string, field: string, problem: string, message?: string): DomainError =>
  new DomainError('conflict', code, message ?? `${field}: ${problem}`, [{ field, problem }]);

/** A body that is not JSON, however it was read (whole by the HTTP adapter's parser, or in pieces). */
export const malformedJson = (): DomainError =>
  new DomainError('invalid', 'MALFORMED_JSON', 'The request body is not valid JSON.', [{ field: 'body', problem: 'is not valid JSON' }]);
