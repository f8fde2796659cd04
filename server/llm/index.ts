/**
 * The LLM upstream the gateway forwards to. This issue only defines the seam; the gateway
 * capability adds the OpenAI-compatible endpoint, the scripted mock model and the openai upstream.
 */
export interface LlmUpstream {
  readonly name: 'mock' | 'openai';
  /** Model ids the upstream serves. */
  models(): Promise<string[]>;
}

export function mockUpstream(): LlmUpstream {
  return { name: 'mock', models: async () => ['mock-small', 'mock-large'] };
}
