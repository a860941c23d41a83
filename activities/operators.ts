import {
  authorizingOperator,
  OPERATOR_ACTIONS,
  type Authorized,
  type OperatorAction,
  type OperatorRole,
} from '../core/operators/authorization.js';
import { CryptoError } from '../core/crypto/index.js';
import { badInput } from './failures.js';

/**
 * The people this engine takes orders from for what uses the CA's authority or changes who a
 * patient is (core/operators/authorization.ts): their accounts, listed by the operator of the
 * engine, never keys it holds.
 */
export class OperatorList {
  private readonly roles = new Map<string, Set<OperatorRole>>();

  constructor(entries: Iterable<{ address: string; role: OperatorRole }>) {
    for (const { address, role } of entries) {
      const key = address.toLowerCase();
      this.roles.set(key, (this.roles.get(key) ?? new Set()).add(role));
    }
  }

  /** `ca:0x…,hospital:0x…`: the YILIAN_OPERATORS format. */
  static parse(text: string): OperatorList {
    return new OperatorList(
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          const [role, address] = entry.split(':') as [string, string];
          if (role !== 'ca' && role !== 'hospital')
            throw new Error(`operators: ${entry} has role ${role}, expected ca or hospital`);
          return { role, address };
        }),
    );
  }

  entries(): Array<{ address: string; role: OperatorRole }> {
    return [...this.roles].flatMap(([address, roles]) => [...roles].map((role) => ({ address, role })));
  }

  /**
   * The operator who authorized this request, when the signature covers it and this engine lists
   * them for the action; otherwise a non-retryable `OperatorNotAuthorized` naming why.
   */
  require(action: OperatorAction, request: Authorized<object>): string {
    let operator: string;
    try {
      operator = authorizingOperator(action, request, Date.now());
    } catch (error) {
      if (error instanceof CryptoError) throw badInput('OperatorNotAuthorized', error.message);
      throw error;
    }
    const role = OPERATOR_ACTIONS[action];
    if (!this.roles.get(operator)?.has(role)) {
      throw badInput('OperatorNotAuthorized', `${action}: ${operator} is not one of this engine's ${role} operators`);
    }
    return operator;
  }
}
