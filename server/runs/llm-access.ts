/** How runs and grading reach the LLM gateway. */
import type { TaskManifest } from '../tasks/index.ts';

/** What runs and grading need from the LLM gateway: the variables that point a sandbox at it. */
export interface LlmAccess {
  /** OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY for a sandbox of this attempt (address: its network's gateway). */
  envFor(attemptId: string, purpose: 'attempt' | 'grade', address?: string): Promise<Record<string, string>>;
  /**
   * Opens the window in which the attempt's key of this purpose is accepted (a Run or grading is
   * live); the returned function closes it, after the job's processes are gone. Calls outside every
   * window are refused and recorded as such.
   */
  openWindow(attemptId: string, purpose: 'attempt' | 'grade'): () => void;
  /** Revokes the grading key once grading is over. */
  endGrading(attemptId: string): Promise<void>;
}

/** Tasks that allow the LLM get a private network to the gateway; others get no network. */
export function networkFor(manifest: TaskManifest): 'none' | 'gateway' {
  return manifest.llm?.enabled ? 'gateway' : 'none';
}
