/** Staff authentication: password hashing, sign-in throttling, server-side sessions. */
export * from './password.ts';
export * from './rate-limit.ts';
export * from './sessions.ts';
export { hashSecret, findSession, createSession } from './sessions.ts';
export type { Principal, StaffUser, NewSession } from './sessions.ts';
export { dummyHash, hashPassword, passwordProblem, verifyPassword } from './password.ts';
