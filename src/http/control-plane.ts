import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { DomainError } from '../domain/errors.ts';

export interface ControlPlaneOptions {
  /** When set, every `/__sim` request must send `Authorization: Bearer <token>`. */
  controlToken?: string;
  /** Host names accepted besides the loopback ones and the bound address (DNS-rebinding protection). */
  allowedHosts?: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether an address or name only this machine can reach. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || (isIP(host) === 4 && host.startsWith('127.'));

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const bearerOf = (req: Request): string | undefined => /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];

/**
 * The control plane's locks, checked before a control operation runs: the bearer token when one is set, and
 * for every state-changing call a JSON content type (or the token), which a web page cannot send cross-site
 * without a CORS preflight the simulator never grants. Refusals go to the app's one writer.
 */
const CONTROL_CHALLENGE = 'Bearer realm="purple-dot-sim control API"';

export function controlPlaneRefusal(req: Request, options: ControlPlaneOptions): DomainError | undefined {
  const token = options.controlToken;
  const given = bearerOf(req);
  if (token !== undefined) {
    if (given === undefined) {
      return new DomainError('unauthorized', 'MISSING_CONTROL_TOKEN', 'The control API needs Authorization: Bearer <control token>.', [{ field: 'Authorization', problem: 'is required' }], CONTROL_CHALLENGE);
    }
    if (!sameSecret(given, token)) {
      return new DomainError('unauthorized', 'INVALID_CONTROL_TOKEN', 'The control token does not match.', [{ field: 'Authorization', problem: 'is not the control token' }], CONTROL_CHALLENGE);
    }
    return undefined;
  }
  if (WRITES.has(req.method) && (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return new DomainError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE',
      'A state-changing control call must be sent as Content-Type: application/json, even without a body (a web page cannot send that to this machine unasked).', [
        { field: 'Content-Type', problem: 'must be application/json' },
      ]);
  }
  return undefined;
}

/**
 * Refuses a request whose Host names neither this machine nor an allowed name, so a web page whose domain
 * was re-pointed at 127.0.0.1 (DNS rebinding) cannot talk to a simulator on loopback.
 */
export function hostCheck(allowed: () => ReadonlySet<string>, refuse: (req: Request, error: DomainError) => void): RequestHandler {
  return (req, _res, next) => {
    const refused = hostRefusal(req, allowed());
    if (refused) refuse(req, refused);
    else next();
  };
}

/**
 * What `hostCheck` refuses, as a plain call: the adapter checks every request, and building a middleware for
 * each one only to call it was garbage on the hot path.
 */
export function hostRefusal(req: Request, allowed: ReadonlySet<string>): DomainError | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  if (allowed.has(name)) return undefined;
  return new DomainError('forbidden', 'HOST_NOT_ALLOWED', `Host ${host || '(none)'} is not this simulator's; start it with --allowed-host ${name || '<name>'} to accept it.`, [
    { field: 'Host', problem: 'names neither this machine nor an allowed host' },
  ]);
}

/** The Host names a simulator bound to `boundHost` accepts. */
export function allowedHostNames(boundHost: string, extra: readonly string[] = []): Set<string> {
  return new Set([...LOOPBACK_NAMES, boundHost.toLowerCase(), ...extra.map((h) => h.toLowerCase())]);
}
