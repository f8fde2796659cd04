/**
 * The built-in deterministic mock model behind the LLM gateway. Task authors script it in
 * `llm/mock.yaml` (format: README.md in this folder) so hidden tests can check that
 * candidates retry, time out and validate. Pure: no I/O, no clock, no module state — the
 * gateway performs delays, streams and truncation from the outcome described here.
 */
export { mockScriptSchema, parseMockScript, type MockScript, type MockRule } from './schema.ts';
export {
  mockRespond,
  advanceMockState,
  defaultReplyText,
  malformedJson,
  DEFAULT_QUOTE_CHARS,
} from './respond.ts';
export {
  countTokens,
  promptTokens,
  completionTokens,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_REPLY,
} from './tokens.ts';
export { mockEmbedding, DEFAULT_EMBEDDING_DIMENSIONS } from './embedding.ts';
export { minimalInstance } from './json-schema.ts';
export { contentText } from './text.ts';
export type {
  MockMessage,
  MockMessageOutcome,
  MockOutcome,
  MockRequest,
  MockState,
  MockToolCall,
} from './types.ts';

/** Model ids the mock upstream serves; `mock-embed` is for /v1/embeddings. */
export const DEFAULT_MODELS: string[] = ['mock-small', 'mock-large', 'mock-embed'];
