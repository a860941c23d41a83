// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Yilian's precompiled contracts at fixed addresses in FISCO BCOS's user range (docs/formats.md).
interface IReencryptPrecompile {
    /// AFGH re-encryption e(C1, rk): compressed G1 (48 bytes) and G2 (96 bytes) in, GT (576 bytes) out.
    function reencrypt(bytes calldata c1, bytes calldata rk) external view returns (bytes memory);
}

interface IStarkPrecompile {
    function verifyTrace(bytes32 id, bytes32 ciphertextHash, bytes32 nonce, bytes calldata proof) external view returns (bool);

    function verifyTraceBatch(bytes32[] calldata ids, bytes32[] calldata ciphertextHashes, bytes32 nonce, bytes calldata proof)
        external view returns (bool);
}

library Precompiles {
    IReencryptPrecompile internal constant REENCRYPT = IReencryptPrecompile(address(0x5201));
    IStarkPrecompile internal constant STARK = IStarkPrecompile(address(0x5202));
}
