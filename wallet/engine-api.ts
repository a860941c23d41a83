import { hexToBytes, type Hex } from 'viem';
import { decodePrekeyBundle } from '../core/keys/index.js';
import { enrolmentCodeId, normalizeEnrolmentCode, signRedemption } from '../core/enrolment/offer.js';
import { engineAudience } from '../core/inbox/request-signature.js';
import { signRegistrationRequest, type RegistrationContent } from '../core/registration/request.js';
import type { Wallet } from './wallet.js';

/** An engine refused: its HTTP status (for a page to say it in the reader's language) and its reason. */
export class EngineRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineRefusal';
  }
}

/** How long one call may wait for an engine: one engine away must not hold the wallet up. */
const CALL_TIMEOUT_MS = 60_000;

/**
 * `POST <engine><path>` with a JSON body; the answer's JSON, or an EngineRefusal naming `what`
 * and the engine's reason. The engine is named by its audience, never with credentials.
 */
async function post<T>(apiUrl: string, path: string, body: unknown, what: string): Promise<T> {
  const audience = engineAudience(apiUrl);
  const response = await fetch(`${audience}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  }).catch((cause: unknown) => {
    throw new EngineRefusal(0, `${what} at ${audience}: the engine did not answer`, { cause });
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok)
    throw new EngineRefusal(
      response.status,
      `${what} at ${audience}: ${answer.error ?? `HTTP ${String(response.status)}`}`,
    );
  return answer as T;
}

/**
 * Makes `count` new one-time prekeys (their secrets stay in the wallet) and publishes their signed
 * public halves to one engine (`POST /v1/prekeys`). Returns their ids, so the wallet can note
 * that they belong to that engine alone, and how many the engine now holds unclaimed.
 */
export async function publishPrekeys(
  apiUrl: string,
  wallet: Wallet,
  count: number,
): Promise<{ ids: number[]; unclaimed: number }> {
  const bundle = await wallet.addPrekeys(count);
  const ids = decodePrekeyBundle(hexToBytes(bundle)).prekeys.map((prekey) => prekey.index);
  const { unclaimed } = await post<{ unclaimed: number }>(
    apiUrl,
    '/v1/prekeys',
    { owner: wallet.identity.address, bundle },
    'prekeys',
  );
  return { ids, unclaimed };
}

/**
 * Redeems a hospital's one-time enrolment code at its engine (`POST /v1/enrolments`): the code
 * goes to the engine that issued it (it is the engine's to check), with the account's signature
 * over the code's id for that engine alone.
 */
export async function redeemEnrolmentCode(apiUrl: string, wallet: Wallet, typed: string): Promise<{ woken: number }> {
  const code = normalizeEnrolmentCode(typed);
  const redemption = signRedemption(
    {
      codeId: enrolmentCodeId(code),
      account: wallet.identity.address,
      audience: engineAudience(apiUrl),
      issuedAt: Date.now(),
    },
    (message) => wallet.sign(message),
  );
  return post<{ woken: number }>(apiUrl, '/v1/enrolments', { code, redemption }, 'enrolment');
}

/** What a grant asks the grantee's engine to do (`POST /v1/grants`); see workflows/grant-access.ts. */
export interface GrantRequest {
  recordId: Hex;
  cid: string;
  patient: Hex;
  prekeyIndex: number;
  grantee: Hex;
  granteeKey: Hex;
  rk: Hex;
  /** The record's prekey as this wallet signed it (Wallet.signedPrekey), for an engine it was never published to. */
  prekey?: { publicKey: Hex; signature: Hex };
}

/**
 * The grant of one of this wallet's own records to one grantee: the re-encryption key made here
 * from the record's prekey secret and the grantee's one-time key (only it leaves the wallet), and
 * the record's prekey as this wallet signed it, for an engine it was never published to (the
 * grantee's), which checks it against the Directory.
 */
export async function grantRequest(
  wallet: Wallet,
  record: { recordId: string; cid: string; prekeyIndex: number },
  grantee: string,
  granteeKey: string,
): Promise<GrantRequest> {
  const key = granteeKey.toLowerCase() as Hex;
  return {
    recordId: record.recordId as Hex,
    cid: record.cid,
    patient: wallet.identity.address,
    prekeyIndex: record.prekeyIndex,
    grantee: grantee.toLowerCase() as Hex,
    granteeKey: key,
    rk: await wallet.rekey(record.prekeyIndex, key),
    prekey: await wallet.signedPrekey(record.prekeyIndex),
  };
}

/** Asks an engine to grant one record to one grantee; answers the grantee's Directory name. */
export const requestGrant = (apiUrl: string, grant: GrantRequest): Promise<{ grantee: string; granteeName: string }> =>
  post(apiUrl, '/v1/grants', grant, 'grant');

/** A registration request as the CA's engine keeps it until an operator decides. */
export interface RegistrationState {
  id: string;
  address: string;
  status: 'pending' | 'registered' | 'rejected';
  receivedAt: string;
  decidedAt: string | null;
}

/**
 * Asks the CA's engine to register this wallet (`POST /v1/registrations`): the request is signed
 * by the wallet's own key for that engine alone, and waits for a CA operator's approval.
 */
export function requestRegistration(
  apiUrl: string,
  wallet: Wallet,
  content: RegistrationContent,
): Promise<RegistrationState> {
  const signed = signRegistrationRequest(content, engineAudience(apiUrl), (message) => wallet.sign(message));
  return post<RegistrationState>(apiUrl, '/v1/registrations', signed, 'registration request');
}
