/**
 * Collects the integrity signals reviewers see (server/attempts/signals.ts): pastes of at least
 * PASTE_MIN characters (the size only, never the text) anywhere in the page, and periods away from
 * it (tab hidden, or another window focused) with their duration. Sent in small batches; a failed
 * send is retried with the next batch (bounded), and whatever is still held is sent when the page hides.
 */
import { api, csrfToken } from '../lib/api.ts';

export const PASTE_MIN = 200;
const MAX_HELD = 50;
const SEND_MS = 5000;

type Signal = { kind: 'paste'; chars: number } | { kind: 'away'; reason: 'hidden' | 'blur'; ms: number };

export class SignalCollector {
  private held: Signal[] = [];
  private awaySince: { at: number; reason: 'hidden' | 'blur' } | null = null;
  private timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly attemptId: string,
    private readonly now: () => number = () => Date.now(),
  ) {
    document.addEventListener('paste', this.onPaste, true);
    document.addEventListener('visibilitychange', this.onVisibility);
    addEventListener('blur', this.onBlur);
    addEventListener('focus', this.onFocus);
    this.timer = setInterval(() => void this.send(), SEND_MS);
  }

  dispose() {
    document.removeEventListener('paste', this.onPaste, true);
    document.removeEventListener('visibilitychange', this.onVisibility);
    removeEventListener('blur', this.onBlur);
    removeEventListener('focus', this.onFocus);
    clearInterval(this.timer);
    this.back();
    void this.send();
  }

  /** Sends everything now (before submitting: afterwards the attempt takes no more). */
  flush(): Promise<void> {
    this.back();
    return this.send();
  }

  private readonly onPaste = (e: ClipboardEvent) => {
    const chars = e.clipboardData?.getData('text/plain').length ?? 0;
    if (chars >= PASTE_MIN) this.hold({ kind: 'paste', chars });
  };
  private readonly onVisibility = () => {
    if (document.visibilityState === 'hidden') this.away('hidden');
    else this.back();
  };
  private readonly onBlur = () => this.away('blur');
  private readonly onFocus = () => this.back();

  private away(reason: 'hidden' | 'blur') {
    // Hiding a tab also blurs it: one period, the stronger reason.
    if (this.awaySince && !(reason === 'hidden' && this.awaySince.reason === 'blur')) return;
    this.awaySince = { at: this.awaySince?.at ?? this.now(), reason };
    if (reason === 'hidden') void this.send(true);
  }

  private back() {
    if (!this.awaySince || document.visibilityState === 'hidden') return;
    const ms = Math.max(0, Math.round(this.now() - this.awaySince.at));
    this.hold({ kind: 'away', reason: this.awaySince.reason, ms });
    this.awaySince = null;
  }

  private hold(s: Signal) {
    if (this.held.length < MAX_HELD) this.held.push(s);
  }

  /** Sends what is held; `leaving`: the page may be going away, so use a keepalive request. */
  async send(leaving = false) {
    if (!this.held.length) return;
    const batch = this.held;
    this.held = [];
    try {
      if (leaving) {
        await fetch(`/api/attempts/${this.attemptId}/signals`, {
          method: 'POST',
          keepalive: true,
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() },
          body: JSON.stringify({ signals: batch }),
        });
      } else await api('POST', `/api/attempts/${this.attemptId}/signals`, { signals: batch });
    } catch {
      // Offline: keep them for the next try (bounded).
      this.held = [...batch, ...this.held].slice(0, MAX_HELD);
    }
  }
}
