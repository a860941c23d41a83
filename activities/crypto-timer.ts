/** The engine's cryptographic steps whose timings operators watch. */
export type CryptoStep = 'stark_prove' | 'pre_encrypt' | 'pre_verify_rekey' | 'pre_reencrypt';

/**
 * Runs one step and records how long it took. The worker passes one in (ops/telemetry), so the
 * activities time exactly the cryptography, not the store or chain I/O around it, without knowing
 * where the timings go.
 */
export type CryptoTimer = <T>(step: CryptoStep, work: () => Promise<T>) => Promise<T>;

export const untimed: CryptoTimer = (_step, work) => work();
