import { hexToBytes, toHex, type Hex } from 'viem';
import { decodePrekeyBundle, verifyPrekeyBundle, type SignedPrekey } from '../../core/keys/index.js';
import { initPre } from '../../core/crypto/index.js';
import { DirectoryError, requireIdentity } from '../../core/ledger/directory.js';
import { Role, roleName } from '../../core/roles.js';
import type { Authorized } from '../../core/operators/authorization.js';
import { verifyRedemption, type EnrolmentOffer, type EnrolmentRedemption } from '../../core/enrolment/offer.js';
import { ADDRESS_LENGTH, CryptoError, G1_LENGTH, SIGNATURE_LENGTH } from '../../core/crypto/index.js';
import { badInput } from '../failures.js';
import { EngineStateError } from '../state/index.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';

export interface PatientIdentifier {
  /** Assigning authority, e.g. PID-3 CX.4 or a FHIR identifier's system. */
  authority: string;
  identifier: string;
}

/** What a hospital operator authorizes (core/operators/authorization.ts): this identifier is this patient. */
export interface EnrolmentRequest {
  patient: PatientIdentifier;
  /** The patient's registered account. */
  account: string;
}

/**
 * An enrolment the patient redeemed with a one-time code (core/enrolment/offer.ts): the hospital
 * operator signed the offer of the identifier, the patient's key signed the redemption for the
 * account. Together they stand for the operator's authorization of this one enrolment.
 */
export interface RedeemedEnrolment extends EnrolmentRequest {
  offer: Authorized<EnrolmentOffer>;
  redemption: EnrolmentRedemption;
}

export interface ClaimedPrekey {
  index: number;
  publicKey: Hex;
}

/**
 * A prekey as its owner's wallet signed it (`Wallet.signedPrekey`): the public half, G1 compressed
 * (48 bytes), and the owner's signature over prekeyMessage(owner, index, publicKey) (65 bytes).
 */
export interface PublishedPrekey {
  publicKey: Hex;
  signature: Hex;
}

/**
 * A patient at this engine: the hospital's enrolment map (its identifier → the patient's account)
 * and the one-time prekeys the patient's wallet publishes so records can be anchored while they
 * are offline.
 */
const claimed = (prekey: SignedPrekey): ClaimedPrekey => ({ index: prekey.index, publicKey: toHex(prekey.publicKey) });

export function createPatientActivities(engine: Engine) {
  const { chain, contracts, state } = engine;
  const heldPrekey = async (patient: string, index: number): Promise<Hex | undefined> => {
    const key = await state.prekeyPublicKey(patient.toLowerCase(), index);
    return key && toHex(key);
  };
  return activityGroup({
    /**
     * The patient's account and a prekey this workflow holds for them, or null after noting that
     * the workflow waits for the patient to enrol. One step, because both are local look-ups.
     */
    async findPatientPrekey(
      patient: PatientIdentifier,
      workflowId: string,
    ): Promise<{ patient: string; prekey: ClaimedPrekey } | null> {
      const account = await state.findPatientOrWait(
        state.patientRef(patient.authority, patient.identifier),
        workflowId,
      );
      if (account === undefined) return null;
      const prekey = await state.claimPrekey(account, workflowId);
      return { patient: account, prekey: claimed(prekey) };
    },

    /**
     * A batch's first step (docs/design.md § Anchoring in batches), one local activity: claims the
     * messages for the batch `claim`, then for each one it holds, the patient's account and a
     * prekey keyed by the message (a retry gets the same). A message whose patient has not enrolled,
     * or has no prekey left, is to wait in an anchorRecord run of its own; one another claim holds
     * (another batch, or its own run: anchored alone) is `taken`, and this batch leaves it alone.
     */
    async claimBatch(
      claim: string,
      messages: Array<{ messageKey: string; patient: PatientIdentifier }>,
    ): Promise<{
      anchor: Array<{ messageKey: string; patient: string; prekey: ClaimedPrekey }>;
      wait: string[];
      taken: Array<{ messageKey: string; claim: string }>;
    }> {
      const { ours, taken } = await state.claimMessages(
        messages.map((m) => m.messageKey),
        claim,
      );
      const held = new Set(ours);
      const wait: string[] = [];
      const found: Array<{ messageKey: string; account: string }> = [];
      for (const { messageKey, patient } of messages) {
        if (!held.delete(messageKey)) continue;
        const account = await state.findPatient(state.patientRef(patient.authority, patient.identifier));
        if (account === undefined) wait.push(messageKey);
        else found.push({ messageKey, account });
      }
      const prekeys = await state.claimPrekeys(
        found.map(({ messageKey, account }) => ({ owner: account, claimKey: messageKey })),
      );
      const anchor: Array<{ messageKey: string; patient: string; prekey: ClaimedPrekey }> = [];
      found.forEach(({ messageKey, account }, i) => {
        const prekey = prekeys[i];
        if (prekey)
          anchor.push({
            messageKey,
            patient: account,
            prekey: claimed(prekey),
          });
        else wait.push(messageKey);
      });
      return { anchor, wait, taken };
    },

    /**
     * Messages that leave their batch without a record (poison: a step cannot take them for a
     * reason of their own), each with why; returns their keys, so the batch run's history says
     * which claimed messages its later steps take.
     */
    async leaveBatch(claim: string, failures: Array<{ messageKey: string; reason: string }>): Promise<string[]> {
      await state.failMessages(claim, failures);
      return failures.map(({ messageKey }) => messageKey);
    },

    /** Maps the hospital's identifier to a registered patient; returns the workflows waiting for them. */
    async enrolPatient(request: Authorized<EnrolmentRequest> | RedeemedEnrolment): Promise<string[]> {
      if ('offer' in request) checkRedeemed(engine, request);
      else engine.operators.require('enrolPatient', request);
      const { patient, account } = request;
      const entry = await requireIdentity(chain, contracts.directory, account, 'patient');
      if (entry.role !== Role.Patient) {
        throw new DirectoryError(
          'WRONG_ROLE',
          `${account} (${entry.name}) is registered as ${roleName(entry.role)}, not as a patient`,
        );
      }
      return state.enrol(state.patientRef(patient.authority, patient.identifier), entry.address);
    },

    /**
     * A hospital merged two identifiers of one patient (HL7 ADT^A40): the merged one now names the
     * surviving one. Returns the patient's account, if enrolled, with the records waiting for them.
     */
    async mergePatients(
      surviving: PatientIdentifier,
      merged: PatientIdentifier,
    ): Promise<{ account?: string; waiting: string[] }> {
      try {
        return await state.mergePatients(
          state.patientRef(merged.authority, merged.identifier),
          state.patientRef(surviving.authority, surviving.identifier),
        );
      } catch (error) {
        if (error instanceof EngineStateError && error.code === 'MERGE_CONFLICT')
          throw badInput('MergeConflict', error.message);
        throw error;
      }
    },

    /** Verifies a wallet's signed prekey batch against the owner's Directory entry and adds it to the pool. */
    async publishPrekeys(owner: string, bundle: Hex): Promise<number> {
      await initPre();
      const entry = await requireIdentity(chain, contracts.directory, owner, 'prekey owner');
      const decoded = decodePrekeyBundle(hexToBytes(bundle));
      verifyPrekeyBundle(decoded, hexToBytes(entry.address as Hex));
      await state.addPrekeys(entry.address, decoded.prekeys);
      return state.unclaimedPrekeys(entry.address);
    },

    /** The public half of a patient's prekey, to check a grant's re-encryption key against. */
    async prekeyPublicKey(patient: string, index: number): Promise<Hex> {
      const key = await heldPrekey(patient, index);
      if (!key) throw badInput('UnknownPrekey', `prekey ${index} of ${patient} was never published to this engine`);
      return key;
    },

    /**
     * As prekeyPublicKey, for a grant that brings the prekey as the patient's wallet signed it. A
     * prekey this engine holds stands, and the wallet's must be that key. One it never saw (a grant
     * through the grantee's engine, the record written at another's) is taken on the patient's
     * signature, checked against their Directory key as publishPrekeys checks a bundle: the engine
     * learns nothing from the engine that holds it, and no one but the patient can vouch for a key.
     */
    async signedPrekeyPublicKey(patient: string, index: number, signed: PublishedPrekey): Promise<Hex> {
      const owner = hexField(patient, ADDRESS_LENGTH, 'the patient');
      const publicKey = hexField(signed.publicKey, G1_LENGTH, "the signed prekey's publicKey");
      const signature = hexField(signed.signature, SIGNATURE_LENGTH, "the signed prekey's signature");
      const held = await heldPrekey(patient, index);
      if (held) {
        if (held !== toHex(publicKey))
          throw badInput(
            'PrekeyMismatch',
            `prekey ${index} of ${patient} published to this engine is ${held}, not the ${toHex(publicKey)} the grant sent`,
          );
        return held;
      }
      await initPre();
      // standing in the Directory as publishPrekeys asks; the signature is checked against the
      // address, which is the Directory key's (a signature recovers the key it was made with)
      await requireIdentity(chain, contracts.directory, patient, 'patient');
      verifyPrekeyBundle({ owner, prekeys: [{ index, publicKey, signature }] }, owner);
      return toHex(publicKey);
    },
  });
}

export type PatientActivities = ReturnType<typeof createPatientActivities>;

/**
 * A redeemed code stands for the operator's authorization only if a hospital operator of this
 * engine signed the offer, the offer is of this identifier and code, and this account's key
 * redeemed that code before the offer expired. (That the code is used once is the engine state's.)
 */
function checkRedeemed(engine: Engine, request: RedeemedEnrolment): void {
  const { offer, redemption } = request;
  engine.operators.require('enrolmentOffer', offer);
  const refuse = (why: string) => {
    throw badInput('OperatorNotAuthorized', `enrolment by code: ${why}`);
  };
  if (offer.patient.authority !== request.patient.authority || offer.patient.identifier !== request.patient.identifier)
    refuse('the offer is of another patient identifier');
  if (redemption.codeId !== offer.codeId) refuse('the redemption is of another code');
  if (redemption.account.toLowerCase() !== request.account.toLowerCase())
    refuse('the redemption is for another account');
  if (redemption.issuedAt > offer.expiresAt) refuse('the code had expired when it was redeemed');
  try {
    verifyRedemption(redemption);
  } catch (error) {
    if (error instanceof CryptoError) refuse(error.message);
    throw error;
  }
}

/** A hex field of a grant, `length` bytes; anything else is bad input, which no retry mends. */
function hexField(value: string, length: number, what: string): Uint8Array {
  if (!new RegExp(`^0x[0-9a-fA-F]{${length * 2}}$`).test(value))
    throw badInput('BadGrant', `${what} must be 0x and ${length * 2} hex digits`);
  return hexToBytes(value as Hex);
}
