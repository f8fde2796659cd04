/**
 * Greenhouse's Assessment Partner API (vendor side) at /greenhouse/: list_tests, send_test,
 * test_status. Outside /api on purpose: Greenhouse authenticates with HTTP Basic (an API token with
 * the greenhouse scope as username, checked in server/greenhouse/) and reads errors as
 * `{ message, errors: [{ message }] }` with the HTTP status, not our `{ error: { code } }` shape.
 */
import type { Hono, Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../errors/index.ts';
import { greenhouseAuth, listTests, sendTest, testStatus } from '../../greenhouse/index.ts';
import type { AppEnv } from '../deps.ts';

function greenhouseError(c: Context<AppEnv>, err: unknown) {
  if (!(err instanceof AppError)) throw err;
  if (err.status === 401) c.header('WWW-Authenticate', 'Basic realm="worksample greenhouse"');
  return c.json({ message: err.message, errors: [{ message: err.message }] }, err.status);
}

export function registerGreenhouse(app: Hono<AppEnv>) {
  app.use(
    '/greenhouse/*',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) =>
        greenhouseError(c as Context<AppEnv>, new AppError('payload_too_large', 'request body is too large')),
    }),
  );
  app.get('/greenhouse/list_tests', async (c) => {
    try {
      await greenhouseAuth(c.get('ctx'), c.req.header('authorization'));
      return c.json(await listTests(c.get('ctx')), 200);
    } catch (err) {
      return greenhouseError(c, err);
    }
  });
  app.post('/greenhouse/send_test', async (c) => {
    try {
      const token = await greenhouseAuth(c.get('ctx'), c.req.header('authorization'));
      const body = await c.req.json().catch(() => {
        throw new AppError('bad_request', 'expected a JSON body');
      });
      return c.json(await sendTest(c.get('ctx'), token, body), 200);
    } catch (err) {
      return greenhouseError(c, err);
    }
  });
  app.get('/greenhouse/test_status', async (c) => {
    try {
      const token = await greenhouseAuth(c.get('ctx'), c.req.header('authorization'));
      const id = c.req.query('partner_interview_id');
      if (!id || id.length > 64) throw new AppError('bad_request', 'partner_interview_id is required');
      return c.json(await testStatus(c.get('ctx'), token, id), 200);
    } catch (err) {
      return greenhouseError(c, err);
    }
  });
}
