/**
 * Task verification (`worksample tasks verify`, the admin Verify button): proves a task package
 * grades the way its author claims, on the application's own services (run queue, sandbox manager,
 * gateway), counted against the same limits as candidates' work.
 */
import { AppError } from '../errors/index.ts';
import { verifyDir, verifyVersion, type VerifyOptions, type VerifyServices } from './verify.ts';
import type { VerifyCheck } from './rows.ts';

export { verifyDir, verifyLoaded, verifyVersion, type VerifyOptions, type VerifyServices } from './verify.ts';
export { formatChecks, type VerifyCheck, type VerifyGroup } from './rows.ts';
export { tamperCorpus, judgeTamper } from './tamper/index.ts';

/** The verification verbs the HTTP layer and the CLI call; one verification at a time. */
export class VerifyService {
  private busy = false;

  constructor(private readonly services: VerifyServices) {}

  /** Verifies an imported version; 409 while another verification runs (each grades many sandboxes). */
  async version(versionId: string, opts: VerifyOptions = {}): Promise<VerifyCheck[]> {
    return this.once(() => verifyVersion(this.services, versionId, opts));
  }

  /** Verifies a task folder (imports it into this application's database first). */
  async dir(dir: string, opts: VerifyOptions = {}): Promise<VerifyCheck[]> {
    return this.once(() => verifyDir(this.services, dir, opts));
  }

  private async once<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy)
      throw new AppError('conflict', 'a verification is already running; try again when it ends');
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}
