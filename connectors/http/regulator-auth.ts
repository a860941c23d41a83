import type { RequestHandler } from 'express';
import type { EngineState } from '../../activities/state/index.js';
import { Role, roleName } from '../../core/roles.js';
import { authenticate } from '../erp/credentials.js';
import { HttpError } from './errors.js';

/**
 * The gate of the audit API: a bearer credential the operator issued (`yilian org issue`, as for
 * the ERP API) for an identity of role Regulator. The audits and reports name who wrote what and
 * when, and an audit of a batch proof costs seconds of CPU, so neither is open to anyone: 401
 * without a valid credential, 403 for any other role.
 */
export function requireRegulator(state: EngineState, what: string): RequestHandler {
  return async (request, _response, next) => {
    const auth = await authenticate(state, request.headers.authorization);
    if (!auth.ok) throw new HttpError(401, auth.problem, { 'WWW-Authenticate': 'Bearer' });
    if (auth.identity.role !== Role.Regulator)
      throw new HttpError(403, `${auth.identity.name} is a ${roleName(auth.identity.role)}: ${what} is for regulators`);
    next();
  };
}
