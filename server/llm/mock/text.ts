/** Reading the text out of OpenAI-style chat messages. */
import type { MockMessage } from './types.ts';

/** Content as text: a string, or the `text` parts of a parts array joined by newlines. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .filter((t) => t !== '')
    .join('\n');
}

/** The tool calls of an assistant message as `name arguments` strings (for token counting). */
export function toolCallTexts(message: MockMessage): string[] {
  if (!Array.isArray(message.tool_calls)) return [];
  return message.tool_calls.map((call: unknown) => {
    const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
    const name = typeof fn?.name === 'string' ? fn.name : '';
    const args = typeof fn?.arguments === 'string' ? fn.arguments : '';
    return `${name} ${args}`;
  });
}

export const isSystem = (m: MockMessage) => m.role === 'system' || m.role === 'developer';

/** What the user (or the user's tools) put into the conversation: user and tool messages. */
export const isInput = (m: MockMessage) => m.role === 'user' || m.role === 'tool';

/** Text of the last `role: "user"` message, or undefined when there is none. */
export function lastUserText(messages: readonly MockMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') return contentText(messages[i]!.content);
  }
  return undefined;
}
