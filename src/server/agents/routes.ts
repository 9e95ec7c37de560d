/**
 * The agents API: agents (the `vigil` sink) POST their identity report; operators GET the list
 * with `last_seen` and `status`. Behind the server's auth hook like every native route.
 */
import type { FastifyInstance } from 'fastify';
import { AgentReportSchema, type AgentReport } from '../../agent-identity/report.js';
import { VigilError } from '../../core/errors.js';
import { formatPath, validateAgainst } from '../../config/validate.js';
import type { AgentRegistry } from './registry.js';

/** An agent report is a few KiB; this leaves room for a thousand sources. */
export const AGENT_REPORT_BODY_LIMIT = 256 * 1024;

/**
 * Registers `POST /api/vigil/v1/agents` (400 naming the JSON path of each problem, 413 above
 * AGENT_REPORT_BODY_LIMIT) and `GET /api/vigil/v1/agents`. Called by the server app wiring.
 */
export async function registerAgentRoutes(app: FastifyInstance, registry: AgentRegistry): Promise<void> {
  app.post('/api/vigil/v1/agents', { bodyLimit: AGENT_REPORT_BODY_LIMIT }, async (request, reply) => {
    const body: unknown = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new VigilError('BAD_REQUEST', 'body: must be a JSON object (the agent report)');
    // Validate a copy: ajv's defaults must not alter what we were sent.
    const issues = validateAgainst(AgentReportSchema, structuredClone(body), ['body']);
    if (issues.length > 0) throw new VigilError('BAD_REQUEST', `invalid agent report: ${issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`, { issues: issues.map((i) => ({ path: i.path, message: i.message })) });
    const view = registry.report(body as AgentReport, request.ip);
    return reply.code(200).send({ status: 'success', data: view });
  });

  app.get('/api/vigil/v1/agents', async () => ({ status: 'success', data: registry.list() }));
}

/** The same routes as a Fastify plugin, for `app.register(agentsPlugin, { registry })`. */
export async function agentsPlugin(app: FastifyInstance, opts: { registry: AgentRegistry }): Promise<void> {
  await registerAgentRoutes(app, opts.registry);
}
