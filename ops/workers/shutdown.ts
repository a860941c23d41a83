/**
 * How long a worker may take to stop. On SIGINT/SIGTERM it stops polling and lets running tasks
 * finish for the grace time; then their activities are cancelled (Temporal retries each attempt
 * on another worker after its timeout), and after the force time the worker gives up, so a host
 * always stops in bounded time even when an activity never returns (a chain call that hangs).
 */
export const workerShutdown = { shutdownGraceTime: '10s', shutdownForceTime: '30s' } as const;
