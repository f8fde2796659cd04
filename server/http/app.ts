/** createApp(services): the whole HTTP surface over the services of the composition root (server/services/). */
import { OpenAPIHono } from '@hono/zod-openapi';
import { createNodeWebSocket } from '@hono/node-ws';
import { requestId } from 'hono/request-id';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { AppError } from '../errors/index.ts';
import type { AppEnv } from './deps.ts';
import type { Services } from '../services/index.ts';
import { errorJson, handleError, validationHook } from './errors.ts';
import { loadPrincipals } from './auth.ts';
import { requestLog } from './request-log.ts';
import { contentSecurityPolicy } from './csp.ts';
import { serveWeb } from './static.ts';
import { describeOperations } from './openapi.ts';
import { registerAutosave } from './routes/autosave.ts';
import { registerHealth } from './routes/health.ts';
import { registerAuth } from './routes/auth.ts';
import { registerSso } from './routes/sso.ts';
import { registerUsers } from './routes/users.ts';
import { registerTasks } from './routes/tasks.ts';
import { registerAssessments } from './routes/assessments.ts';
import { registerInvitationSummary } from './routes/invitation-summary.ts';
import { registerInvitations } from './routes/invitations.ts';
import { registerCandidate } from './routes/candidate.ts';
import { registerAttempts } from './routes/attempts.ts';
import { registerSignals } from './routes/signals.ts';
import { registerFiles } from './routes/files.ts';
import { registerRuns } from './routes/runs.ts';
import { registerGrades } from './routes/grades.ts';
import { registerLlm } from './routes/llm.ts';
import { registerAssistant } from './routes/assistant.ts';
import { registerMaterials } from './routes/materials.ts';
import { registerReviews } from './routes/reviews.ts';
import { registerReplay } from './routes/replay.ts';
import { registerEdits } from './routes/edits.ts';
import { registerAnswerKey } from './routes/answer-key.ts';
import { registerExport } from './routes/export.ts';
import { registerTokens } from './routes/tokens.ts';
import { registerPipeline } from './routes/pipeline.ts';
import { registerTerminal, MAX_TERMINAL_MESSAGE } from './routes/terminal.ts';
import { registerWebhooks } from './routes/webhooks.ts';
import { registerGreenhouse } from './routes/greenhouse.ts';
import { registerEmail } from './routes/email.ts';
import { registerPasswords } from './routes/passwords.ts';
import { createMetrics, registerMetrics } from '../metrics/index.ts';

/** The app and what a listening server needs to pass WebSocket upgrades (the terminal) to it. */
export interface Http {
  app: App;
  /** Hooks the app's WebSocket routes onto a node server's `upgrade` event (server/http/listen.ts). */
  injectWebSocket(server: NodeServer): void;
}
type NodeServer = Parameters<ReturnType<typeof createNodeWebSocket>['injectWebSocket']>[0];

/** createApp(services) for code that serves it over HTTP, WebSockets included. */
export function createHttp(services: Services): Http {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const ws = createNodeWebSocket({ app, baseUrl: services.config.publicUrl });
  // A keystroke frame is small; a paste is bounded by the route. ws refuses bigger frames (close 1009).
  (ws.wss.options as { maxPayload?: number }).maxPayload = MAX_TERMINAL_MESSAGE * 2;
  build(app, services, ws.upgradeWebSocket as never);
  return { app, injectWebSocket: (server) => ws.injectWebSocket(server) };
}

/** The whole HTTP surface (requests through app.request() or a server; see createHttp for sockets). */
export function createApp(services: Services) {
  return createHttp(services).app;
}

function build(
  app: OpenAPIHono<AppEnv>,
  services: Services,
  upgradeWebSocket: Parameters<typeof registerTerminal>[2],
) {
  const { ctx } = services;

  const metrics = createMetrics({
    db: ctx.db,
    queued: () => services.sandbox.queued,
    sessions: async () => (await services.sandbox.sessionIds()).length,
    logger: services.logger,
  });
  app.use('*', metrics.middleware);
  app.use('*', requestId());
  app.use('*', async (c, next) => {
    c.set('ctx', ctx);
    await next();
  });
  app.use('*', requestLog(services.logger));
  app.use(
    '*',
    secureHeaders({
      referrerPolicy: 'same-origin',
      crossOriginEmbedderPolicy: false,
      contentSecurityPolicy,
      overwrite: false,
    }),
  );
  // Base64 inflates a max-size file by 4/3; leave room for the JSON around it.
  const maxBody = Math.ceil((services.config.limits.maxFileBytes * 4) / 3) + 64 * 1024;
  // The autosave shortcut authenticates in its own statement; what it cannot prove continues below.
  // Before the body limit: it reads the body from node's stream itself, within the same bound.
  registerAutosave(app, services.autosave, maxBody);
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: maxBody,
      onError: (c) =>
        errorJson(c, new AppError('payload_too_large', `request body is larger than ${maxBody} bytes`)),
    }),
  );
  app.use('/api/*', loadPrincipals());
  app.use('/i/*', loadPrincipals());

  registerHealth(app, services);
  registerMetrics(app, metrics, services.config.metricsToken);
  registerAuth(app, services);
  registerSso(app, services);
  registerUsers(app);
  registerTasks(app, services);
  registerAssessments(app);
  registerInvitationSummary(app);
  registerInvitations(app, services);
  registerCandidate(app);
  registerAttempts(app);
  registerSignals(app);
  registerFiles(app);
  registerRuns(app, services.runs);
  registerTerminal(app, services.terminal, upgradeWebSocket);
  registerGrades(app, services.grading);
  registerLlm(app);
  registerAssistant(app, services.gateway);
  registerMaterials(app);
  registerReviews(app);
  registerReplay(app);
  registerEdits(app);
  registerAnswerKey(app);
  registerExport(app);
  registerTokens(app);
  registerPipeline(app);
  registerWebhooks(app, services.webhooks);
  registerGreenhouse(app);
  registerEmail(app, services);
  registerPasswords(app, services);

  app.openAPIRegistry.registerComponent('securitySchemes', 'staffCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'ws_staff',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'candidateCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'ws_candidate',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'wst_…',
    description:
      'An API token made by an admin (Admin → API tokens). Each operation lists the scope it needs; operations without bearerAuth refuse tokens. Bearer requests need no CSRF header.',
  });
  describeOperations(app.openAPIRegistry);
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    // Relative: the API is on the same origin as the document, wherever it is deployed.
    servers: [{ url: '/', description: 'this worksample server' }],
    info: {
      title: 'worksample API',
      version: '0.1.0',
      license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      description:
        'Cookie-authenticated mutations must send the session CSRF token (from /api/auth/me or /api/candidate) as x-csrf-token. API tokens (Authorization: Bearer wst_…) need none, and work only on operations that list bearerAuth with a scope the token holds.',
    },
  });

  app.all('/api/*', (c) =>
    errorJson(c, new AppError('not_found', `no API route ${c.req.method} ${c.req.path}`)),
  );
  serveWeb(app, services.config.webDist);
  app.onError(handleError(services.logger));
}

export type App = OpenAPIHono<AppEnv>;
