/** The HTTP surface: createApp(services) and the request environment routes see. */
export { createApp, createHttp, type Http } from './app.ts';
export type { AppEnv } from './deps.ts';
export { isWildcard, listenAll, type Listening } from './listen.ts';
