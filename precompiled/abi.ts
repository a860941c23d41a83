import { parseAbi } from 'viem';

/**
 * Yilian's precompiled contracts, at fixed addresses in FISCO BCOS's user range. The C++ versions
 * (for real FISCO nodes) and the TypeScript ones (for the dev chain) share this ABI and these
 * addresses; docs/formats.md describes them.
 */
export const REENCRYPT_PRECOMPILE = '0x0000000000000000000000000000000000005201';
export const STARK_PRECOMPILE = '0x0000000000000000000000000000000000005202';

export const reencryptAbi = parseAbi(['function reencrypt(bytes c1, bytes rk) view returns (bytes)']);

export const starkAbi = parseAbi([
  'function verifyTrace(bytes32 id, bytes32 ciphertextHash, bytes32 nonce, bytes proof) view returns (bool)',
  'function verifyTraceBatch(bytes32[] ids, bytes32[] ciphertextHashes, bytes32 nonce, bytes proof) view returns (bool)',
]);
