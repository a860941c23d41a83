/**
 * What the payload codec hands the workflow sandbox in place of a workflow payload that is not
 * sealed with one of the engine's codec keys: a start input, signal or query argument from
 * someone who could reach Temporal but does not hold the key. The inbound interceptors
 * (./interceptors.ts) keep it from every workflow: an unsealed start idles, an unsealed signal is
 * dropped, an unsealed query is refused.
 */
export const UNSEALED_MARK = 'yilian/unsealed-payload';

export function isUnsealed(value: unknown): boolean {
  return typeof value === 'object' && value !== null && UNSEALED_MARK in value;
}
