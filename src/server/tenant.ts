/**
 * The tenant of a request. Single-tenant installs ignore X-Scope-OrgID; multi-tenant installs
 * read it and, when absent, use DEFAULT_TENANT (so a plain Grafana data source still works).
 */
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../core/errors.js';
import { DEFAULT_TENANT } from '../store/interfaces.js';

const MAX_TENANT_LENGTH = 150;
/** Loki's allowed tenant characters (dskit tenant.ValidTenantID). */
const TENANT_CHAR = /^[a-zA-Z0-9!\-_.*'()]$/;

/** Validates a tenant id as Loki does; throws BAD_REQUEST naming the offending character. */
export function validateTenantId(id: string): string {
  if (id.length > MAX_TENANT_LENGTH) throw new VigilError('BAD_REQUEST', `X-Scope-OrgID: tenant ID is too long: max ${MAX_TENANT_LENGTH} characters`);
  if (id === '.' || id === '..') throw new VigilError('BAD_REQUEST', `X-Scope-OrgID: tenant ID '${id}' is not allowed`);
  for (const ch of id) {
    if (!TENANT_CHAR.test(ch)) {
      throw new VigilError('BAD_REQUEST', `X-Scope-OrgID: tenant ID '${id}' contains unsupported character '${ch}' (multi-tenant queries with "|" are not supported)`);
    }
  }
  return id;
}

/** The tenant of `request` under the server's tenancy mode. */
export function tenantOf(request: FastifyRequest, multiTenant: boolean): string {
  if (!multiTenant) return DEFAULT_TENANT;
  const h = request.headers['x-scope-orgid'];
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v.trim() === '') return DEFAULT_TENANT;
  return validateTenantId(v.trim());
}
