/**
 * Liveness and readiness. Stops reconnaissance through /api/ready: why the sandbox or the gateway
 * networks are not ready (socket paths and groups, firewall state, image builds) is told to signed-in
 * staff and to operators (direct loopback, or METRICS_TOKEN: the /metrics rule), never to an
 * anonymous visitor or a candidate, who get the yes/no answers only (plus the local sandbox's public
 * warning, which the workspace shows every candidate).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../deps.ts';
import type { Services } from '../../services/index.ts';
import type { SandboxStatus } from '../../sandbox/index.ts';
import { operatorRequest } from '../../metrics/index.ts';

const health = createRoute({
  method: 'get',
  path: '/api/health',
  tags: ['ops'],
  summary: 'Liveness: the process answers',
  responses: {
    200: {
      description: 'alive',
      content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } },
    },
  },
});

const capability = z.object({ ok: z.boolean(), reason: z.string().optional() });

/** Code tasks need a ready sandbox; LLM tasks also need sandbox networks that reach the gateway. */
export function capabilitiesOf(sandbox: SandboxStatus) {
  const codeTasks = sandbox.ready
    ? { ok: true }
    : { ok: false, reason: sandbox.detail ?? 'the sandbox is not ready' };
  const networks = sandbox.gatewayNetworks;
  const llmTasks = !codeTasks.ok
    ? codeTasks
    : networks && !networks.ready
      ? { ok: false, reason: networks.detail ?? 'sandboxes cannot reach the LLM gateway' }
      : { ok: true };
  return { codeTasks, llmTasks };
}

const readySchema = z.object({
  ok: z.boolean(),
  database: z.object({ ok: z.boolean(), dialect: z.enum(['sqlite', 'postgres']) }),
  sandbox: z.object({
    driver: z.string(),
    ready: z.boolean(),
    warning: z.string().optional(),
    detail: z.string().optional(),
    gatewayNetworks: z.object({ ready: z.boolean(), detail: z.string().optional() }).optional(),
  }),
  llm: z.object({ upstream: z.string() }),
  capabilities: z
    .object({ codeTasks: capability, llmTasks: capability })
    .describe('what kinds of task this deployment can run now, with the reason when it cannot'),
});

const ready = createRoute({
  method: 'get',
  path: '/api/ready',
  tags: ['ops'],
  summary: 'Readiness: database reachable, sandbox driver status',
  description:
    'The reasons (capabilities.*.reason, sandbox.detail, sandbox.gatewayNetworks) are included for ' +
    'signed-in staff and for operators (direct loopback requests, or Authorization: Bearer METRICS_TOKEN).',
  responses: {
    200: { description: 'ready', content: { 'application/json': { schema: readySchema } } },
    503: {
      description: 'not ready (database unreachable)',
      content: { 'application/json': { schema: readySchema } },
    },
  },
});

export function registerHealth(app: OpenAPIHono<AppEnv>, services: Services) {
  app.openapi(health, (c) => c.json({ ok: true as const }, 200));
  app.openapi(ready, async (c) => {
    const [dbOk, sandbox] = await Promise.all([services.database.ping(), services.sandbox.status()]);
    const capabilities = capabilitiesOf(sandbox);
    const detailed = Boolean(c.get('staff')) || operatorRequest(c, services.config.metricsToken);
    const body = {
      ok: dbOk,
      database: { ok: dbOk, dialect: services.database.dialect },
      sandbox: detailed
        ? sandbox
        : {
            driver: sandbox.driver,
            ready: sandbox.ready,
            ...(sandbox.warning ? { warning: sandbox.warning } : {}),
          },
      llm: { upstream: services.llm.name },
      capabilities: detailed
        ? capabilities
        : { codeTasks: { ok: capabilities.codeTasks.ok }, llmTasks: { ok: capabilities.llmTasks.ok } },
    };
    // The sandbox is reported, not required: authors and reviewers can work while it is down.
    return dbOk ? c.json(body, 200) : c.json(body, 503);
  });
}
