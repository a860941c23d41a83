import type { Hex } from 'viem';

/**
 * What a doctor (or pharmacist) hands a patient to receive one grant: their account and a fresh
 * one-time G2 key, in one line that fits a QR code (docs/formats.md § Grantee cards):
 *
 *   "yilian-grantee/v1:" ‖ account (0x + 40 hex) ‖ ":" ‖ key (0x + 192 hex, compressed G2)
 *
 * Nothing in it is secret; the patient's wallet checks the account against the Directory before
 * it makes the re-encryption key.
 */
export const GRANTEE_CARD_PREFIX = 'yilian-grantee/v1:';
const CARD = /^yilian-grantee\/v1:(0x[0-9a-fA-F]{40}):(0x[0-9a-fA-F]{192})$/;
/** The card is ~255 characters; anything much longer is not one. */
const MAX_CARD_LENGTH = 300;

export interface GranteeCard {
  account: Hex;
  granteeKey: Hex;
}

export function granteeCard(card: GranteeCard): string {
  return `${GRANTEE_CARD_PREFIX}${card.account}:${card.granteeKey}`;
}

export class GranteeCardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GranteeCardError';
  }
}

/** The account and key of a scanned or pasted card; the error says which part is wrong. */
export function parseGranteeCard(text: string): GranteeCard {
  const trimmed = text.trim();
  if (trimmed.length > MAX_CARD_LENGTH)
    throw new GranteeCardError(`a grantee card is at most ${MAX_CARD_LENGTH} characters`);
  if (!trimmed.startsWith(GRANTEE_CARD_PREFIX))
    throw new GranteeCardError(`a grantee card starts with "${GRANTEE_CARD_PREFIX}"`);
  const match = CARD.exec(trimmed);
  if (!match) {
    const [account = '', key = ''] = trimmed.slice(GRANTEE_CARD_PREFIX.length).split(':');
    throw new GranteeCardError(
      /^0x[0-9a-fA-F]{40}$/.test(account)
        ? `the card's key is not 0x and 192 hex digits (it has ${key.length} characters)`
        : "the card's account is not 0x and 40 hex digits",
    );
  }
  const [, account, granteeKey] = match as unknown as [string, Hex, Hex];
  return { account: account.toLowerCase() as Hex, granteeKey: granteeKey.toLowerCase() as Hex };
}
