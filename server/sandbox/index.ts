/**
 * Sandbox drivers run candidate code. This issue only defines the seam the server depends on;
 * the Docker and local drivers arrive with the sandbox capability.
 */
export interface SandboxStatus {
  driver: 'docker' | 'local' | 'none';
  ready: boolean;
  /** Shown to staff and candidates when the driver gives no isolation. */
  warning?: string;
  detail?: string;
}

export interface SandboxDriver {
  status(): Promise<SandboxStatus>;
  close(): Promise<void>;
}

/** Used until a real driver is configured: reports that code cannot run yet. */
export function noSandbox(reason = 'no sandbox driver is configured'): SandboxDriver {
  return {
    status: async () => ({ driver: 'none', ready: false, detail: reason }),
    close: async () => {},
  };
}
