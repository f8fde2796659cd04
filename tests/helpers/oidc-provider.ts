/**
 * A real OpenID provider for tests (`oidc-provider`, the certified implementation) on 127.0.0.1 and a
 * free port, with its own sign-in page (username + password, consent granted with it), accounts with
 * email, email_verified and groups claims, and test clients. `signIn` plays a browser at the provider
 * from Node (for route tests); Chromium uses the same page. `tamperIdToken` rewrites the ID token the
 * token endpoint returns and signs it again with the provider's own key (or a foreign one), to forge
 * tokens with a wrong issuer, audience, nonce or expiry that only the claims give away.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export interface TestAccount {
  /** The login name typed at the provider; also the `sub`. */
  id: string;
  email: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/** Every test account's password at the provider. */
export const PROVIDER_PASSWORD = 'provider-password';

export type Tamper = (claims: JWTPayload) => JWTPayload;

export interface TestProvider {
  issuer: string;
  /** The accounts by id; change one (e.g. its groups) and the next sign-in sees it. */
  accounts: Map<string, TestAccount>;
  /**
   * Rewrites the next ID tokens (until reset with undefined); `foreignKey` signs with a key the provider
   * does not publish, `hmacSecret` with HS256 and that secret (e.g. the client secret).
   */
  tamperIdToken(fn: Tamper | undefined, opts?: { foreignKey?: boolean; hmacSecret?: string }): void;
  /**
   * Follows `authorizationUrl` like a browser, signs in as `login` and returns where the provider
   * redirects back to (the client's redirect URI with code/state, or an error).
   */
  signIn(authorizationUrl: string, login: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startTestProvider(opts: {
  accounts: TestAccount[];
  clients: TestClient[];
}): Promise<TestProvider> {
  const accounts = new Map(opts.accounts.map((a) => [a.id, a]));
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key';
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  let tamper: { fn: Tamper; foreignKey: boolean; hmacSecret?: string } | undefined;

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    async findAccount(_ctx: unknown, id: string) {
      const a = accounts.get(id);
      if (!a) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: a.email,
            email_verified: a.emailVerified ?? true,
            name: a.name,
            groups: a.groups ?? [],
          };
        },
      };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      AuthorizationCode: 60,
      Interaction: 600,
      Grant: 600,
      Session: 600,
      AccessToken: 600,
      IdToken: 600,
    },
  });

  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (!tamper || ctx.path !== '/token' || !body?.id_token) return;
    const claims = tamper.fn(decodeJwt(body.id_token));
    const token = tamper.hmacSecret
      ? await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(tamper.hmacSecret))
      : await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid })
          .sign(tamper.foreignKey ? foreign.privateKey : privateKey);
    ctx.body = { ...body, id_token: token };
  });

  const oidcHandler = provider.callback();
  handler = (req, res) => {
    const m = /^\/interaction\/([\w-]+)$/.exec(req.url ?? '');
    if (!m) return oidcHandler(req, res);
    void interaction(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  };

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(`<!doctype html><title>Test IdP sign-in</title>
<h1>Test identity provider</h1>
<form method="post" action="/interaction/${details.uid}">
<label>Username <input name="login" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in at provider</button>
</form>`);
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const form = new URLSearchParams(raw);
    const login = form.get('login') ?? '';
    if (!accounts.has(login) || form.get('password') !== PROVIDER_PASSWORD) {
      res.statusCode = 401;
      return res.end('wrong username or password');
    }
    // The test clients are first-party: consent is granted with the sign-in.
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id! });
    grant.addOIDCScope(details.params.scope ?? 'openid');
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: login }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  return {
    issuer,
    accounts,
    tamperIdToken(fn, o = {}) {
      tamper = fn && { fn, foreignKey: !!o.foreignKey, hmacSecret: o.hmacSecret };
    },
    async signIn(authorizationUrl, login) {
      const jar = new Map<string, string>();
      const send = async (url: string, init: RequestInit = {}) => {
        const res = await fetch(url, {
          ...init,
          redirect: 'manual',
          headers: {
            ...(init.headers as Record<string, string>),
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          },
        });
        for (const sc of res.headers.getSetCookie()) {
          const [pair] = sc.split(';');
          const i = pair!.indexOf('=');
          jar.set(pair!.slice(0, i), pair!.slice(i + 1));
        }
        return res;
      };
      let url = authorizationUrl;
      for (let hop = 0; hop < 10; hop++) {
        let res = await send(url);
        if (res.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
          await res.text();
          res = await send(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ login, password: PROVIDER_PASSWORD }).toString(),
          });
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`provider answered ${res.status} at ${url}: ${await res.text()}`);
        await res.arrayBuffer();
        const next = new URL(location, url);
        if (next.origin !== issuer) return next;
        url = next.href;
      }
      throw new Error('too many redirects at the provider');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
