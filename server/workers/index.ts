/**
 * Sandbox workers: `worksample worker` runs sandboxes next to one Docker engine; API servers with
 * `SANDBOX_DRIVER=workers` use them through `RemoteDriver` and hold no Docker socket.
 */
export { RemoteDriver, type RemoteDriverOptions } from './remote-driver.ts';
export { startWorker, workerId, type RunningWorker } from './worker.ts';
export { createWorkerApp, type WorkerApp, type WorkerAppDeps } from './worker-app.ts';
export { GatewayForwarder, parseUpstream } from './forwarder.ts';
export { liveWorkers, registerWorker, heartbeat, markStopped } from './registry.ts';
