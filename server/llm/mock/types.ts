/** Request, state and outcome shapes shared by the mock model and the gateway. */

export interface MockMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: string;
  name?: string;
}

export interface MockRequest {
  model: string;
  messages: MockMessage[];
  tools?: unknown[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  /** `none`, `auto`, `required` or a named function (`{ type: 'function', function: { name } }`). */
  tool_choice?: unknown;
}

export interface MockState {
  /** How many times each rule's request conditions held for this attempt; the caller persists it. */
  ruleCounts: Record<string, number>;
  attemptId: string;
}

export interface MockToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * Every outcome lists in `counted` each rule whose request conditions held on the way to it
 * (the winner included). The caller must bump each one's count — `advanceMockState` does —
 * so that `call: 2` and `rate` see rules that were reached but skipped because of `call` or
 * `rate`. Counting only the winning `rule` would make `call: 2` alone never fire and a
 * `rate` rule stop for good after its first miss. Nested messages repeat the same list.
 */
interface Counted {
  counted: string[];
}

/** An assistant message: the final answer, or what a delay/truncation eventually carries. */
export interface MockMessageOutcome extends Counted {
  kind: 'message';
  rule: string | null;
  content: string | null;
  toolCalls?: MockToolCall[];
  finishReason: 'stop' | 'tool_calls';
  usage: { promptTokens: number; completionTokens: number };
}

export type MockOutcome =
  | MockMessageOutcome
  | (Counted & {
      kind: 'fault';
      rule: string;
      fault: { kind: 'rate_limit'; retryAfter: number } | { kind: 'server_error' };
    })
  | (Counted & { kind: 'delay'; rule: string; ms: number; then: MockMessageOutcome })
  | (Counted & { kind: 'truncated'; rule: string; after: number; message: MockMessageOutcome });
