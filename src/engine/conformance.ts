import { DomainError, type ErrorDetail } from '../domain/errors.ts';
import { checkBody, type ReceivedRequest, type Route } from './dispatch.ts';

const present = (value: unknown): boolean => typeof value === 'string' && value !== '';

/** The credentials the operation's security schemes require, checked for presence only: a wrong value still conforms. */
function missingCredentials(route: Route, request: ReceivedRequest): ErrorDetail[] {
  const query = request.query ?? {};
  const missing: ErrorDetail[] = [];
  const need = (field: string, value: unknown): void => {
    if (!present(value)) missing.push({ field, problem: Array.isArray(value) ? 'must be given once' : 'is required' });
  };
  // The shop domain stands in for the key (observed in the SDK).
  if ((route.credentials === 'public' || route.credentials === 'shopper') && query.shop === undefined) need('api_key', query.api_key);
  if (route.credentials === 'shopper') for (const field of ['email', 'timestamp', 'token']) need(field, query[field]);
  if (route.credentials === 'private') need('X-Purple-Dot-Access-Token', request.headers['x-purple-dot-access-token']);
  return missing;
}

/**
 * What in a request breaks the spec: credentials missing, a body that is not JSON, parameters or a body
 * the schemas refuse. Checked on copies, apart from answering it, so the journal can say it of any request,
 * also of one refused for another reason first (a wrong credential) or answered by a fault.
 */
export function requestProblems(route: Route, request: ReceivedRequest): ErrorDetail[] {
  const problems = missingCredentials(route, request);
  const collect = (check: () => void): void => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problems.push(...(error.details.length > 0 ? error.details : [{ field: 'request', problem: error.message }]));
    }
  };
  collect(() => checkBody(route, request));
  // Copies: the validator coerces and fills defaults in place (the body validator does neither).
  collect(() => route.validator.check({ query: { ...request.query }, path: { ...request.path }, body: request.body }));
  return problems;
}
