/** What an API token may be allowed to do. Which /api route needs which scope: server/http/route-access.ts. */
export const SCOPES = [
  'invitations:read',
  'invitations:write',
  'results:read',
  'tasks:read',
  'tasks:write',
  'webhooks:read',
  'webhooks:write',
  'greenhouse',
] as const;

export type Scope = (typeof SCOPES)[number];

/** One line per scope, shown where an admin picks them (and in the OpenAPI document). */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'invitations:read': 'List invitations (with their external ids) and task funnels',
  'invitations:write': 'Create, bulk-create, resend, extend and revoke invitations',
  'results:read':
    'Read submissions (attempt, files, runs, grades, model calls) and the results export; identities stay blank',
  'tasks:read': 'List tasks and their versions',
  'tasks:write': 'Verify task versions in real sandboxes',
  'webhooks:read': 'List webhook endpoints and their delivery logs',
  'webhooks:write': 'Configure webhook endpoints and send test events',
  greenhouse: 'Act as the Greenhouse assessment partner key (HTTP Basic, the token as username)',
};

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);
