import { hexToBytes } from 'viem';
import { Wallet } from '../../../wallet/wallet.js';
import { engineAudience } from '../../../core/inbox/request-signature.js';
import type { RegistrationContent } from '../../../core/registration/request.js';
import { Role } from '../../../core/roles.js';
import { CryptoError } from '../../../core/crypto/errors.js';
import { decodePrekeyBundle } from '../../../core/keys/index.js';
import {
  EngineRefusal,
  requestRegistration as requestRegistrationAt,
  type RegistrationState,
} from '../../../wallet/engine-api.js';
import { browserSlot, memorySlot, storedKeystore } from './keystore-slot';

/** Prekeys a new patient wallet publishes with its registration; more are published later. */
export const FIRST_PREKEYS = 20;
/** What this browser remembers of its registration request: public facts, never a key. */
const REGISTRATION_KEY = 'yilian-wallet-registration';

export type { RegistrationState };

export interface RegistrationNote {
  id: string;
  name: string;
  role: number;
  /** A doctor's hospital, as the request named it. */
  organisation?: string;
  /** The engine the request went to: the one that publishes its prekeys once a CA operator approves it there. */
  engine?: string;
  /** The ids of the prekeys the request carried, to be noted as that engine's alone. */
  prekeys?: number[];
}

/** The engine this page was served by, as the wallet addresses it: requests are signed for it and sent to it alone. */
export const pageEngine = (): string => engineAudience(location.origin);

async function answer<T>(response: Response, what: string): Promise<T> {
  if (response.ok) return (await response.json()) as T;
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  throw new EngineRefusal(response.status, `${what}: ${body.error ?? `HTTP ${response.status}`}`);
}

/**
 * Keys made here, kept in this browser under `passphrase`, and a registration request to the CA
 * signed by the new key (with a patient's first prekeys). Resolves once the request is kept.
 */
export async function createWallet(
  request: { name: string; role: number; passphrase: string; organisation?: `0x${string}` },
  onStep: (step: 'keys' | 'prekeys' | 'request') => void,
): Promise<{ wallet: Wallet; registration: RegistrationState }> {
  onStep('keys');
  const wallet = await Wallet.create(browserSlot, request.passphrase);
  onStep('prekeys');
  const prekeyBundle = request.role === Role.Patient ? await wallet.addPrekeys(FIRST_PREKEYS) : undefined;
  onStep('request');
  const registration = await requestRegistration(wallet, {
    name: request.name,
    role: request.role as RegistrationContent['role'],
    identity: wallet.identity,
    ...(prekeyBundle ? { prekeyBundle } : {}),
    ...(request.organisation ? { organisation: request.organisation } : {}),
  });
  return { wallet, registration };
}

export async function requestRegistration(wallet: Wallet, content: RegistrationContent): Promise<RegistrationState> {
  const registration = await requestRegistrationAt(pageEngine(), wallet, content);
  const prekeys = content.prekeyBundle
    ? decodePrekeyBundle(hexToBytes(content.prekeyBundle)).prekeys.map((prekey) => prekey.index)
    : [];
  rememberRegistration({
    id: registration.id,
    name: content.name,
    role: content.role,
    engine: pageEngine(),
    prekeys,
    ...(content.organisation ? { organisation: content.organisation } : {}),
  });
  return registration;
}

export async function registrationStatus(id: string): Promise<RegistrationState> {
  return answer<RegistrationState>(await fetch(`/v1/registrations/${id}`), 'registration request');
}

export function rememberedRegistration(): RegistrationNote | undefined {
  const text = localStorage.getItem(REGISTRATION_KEY);
  return text ? (JSON.parse(text) as RegistrationNote) : undefined;
}

function rememberRegistration(note: RegistrationNote): void {
  localStorage.setItem(REGISTRATION_KEY, JSON.stringify(note));
}

export const openWallet = (passphrase: string): Promise<Wallet> => Wallet.open(browserSlot, passphrase);

/**
 * A keystore file (exported here or written by `yilian wallet create`) becomes this browser's
 * wallet, once it opens under `passphrase`: a wrong file or passphrase replaces nothing.
 */
export async function importKeystore(text: string, passphrase: string): Promise<Wallet> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CryptoError('KEYSTORE_CORRUPT', 'the file is not a keystore: it is not JSON', { cause });
  }
  await Wallet.open(memorySlot(json), passphrase);
  await browserSlot.write(json as Parameters<typeof browserSlot.write>[0]);
  localStorage.removeItem(REGISTRATION_KEY);
  return Wallet.open(browserSlot, passphrase);
}

/** The stored keystore as the file the CLI reads from a wallet folder: `<address>.json`. */
export async function exportKeystore(): Promise<{ fileName: string; text: string }> {
  const json = await storedKeystore();
  if (json === undefined) throw new Error('this browser holds no wallet');
  return { fileName: `${json.address}.json`, text: `${JSON.stringify(json, null, 2)}\n` };
}
