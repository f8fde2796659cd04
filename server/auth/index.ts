/** Staff authentication: password hashing, sign-in throttling, server-side sessions. */
export * from './password.ts';
export * from './rate-limit.ts';
export * from './sessions.ts';
