// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Precompiles} from "./Precompiles.sol";

/// Encrypted supply-chain steps by trace id = Rescue(trace code). Only a holder of the code can
/// append: each push carries a STARK bound to (id, keccak256(c), nonce), where the nonce is the
/// hash of a recent block. A statement (id, keccak256(c), nonce) is accepted once: proofs are
/// randomised, so remembering proof bytes would let the same step be pushed again with a fresh
/// proof, while remembering the statement refuses every replay of it.
contract DrugTrace {
    uint256 public constant NONCE_WINDOW = 256;

    mapping(bytes32 => bytes[]) private traces;
    mapping(bytes32 => bool) private usedStatements;

    event StepAppended(bytes32 indexed id, uint256 index);

    function push(bytes32 id, bytes calldata c, bytes32 nonce, bytes calldata proof) external {
        require(isRecentBlockHash(nonce), "DrugTrace: nonce is not a recent block hash");
        bytes32 ciphertextHash = keccak256(c);
        useStatement(id, ciphertextHash, nonce);
        require(Precompiles.STARK.verifyTrace(id, ciphertextHash, nonce, proof), "DrugTrace: proof rejected");
        append(id, c);
    }

    /// One proof for many items (an ERP production batch).
    function pushBatch(bytes32[] calldata ids, bytes[] calldata cs, bytes32 nonce, bytes calldata proof) external {
        require(ids.length == cs.length && ids.length > 0, "DrugTrace: ids and ciphertexts differ in number");
        require(isRecentBlockHash(nonce), "DrugTrace: nonce is not a recent block hash");
        bytes32[] memory hashes = new bytes32[](cs.length);
        for (uint256 i = 0; i < cs.length; i++) {
            hashes[i] = keccak256(cs[i]);
            useStatement(ids[i], hashes[i], nonce);
        }
        require(Precompiles.STARK.verifyTraceBatch(ids, hashes, nonce, proof), "DrugTrace: proof rejected");
        for (uint256 i = 0; i < ids.length; i++) append(ids[i], cs[i]);
    }

    function read(bytes32 id) external view returns (bytes[] memory) {
        return traces[id];
    }

    function useStatement(bytes32 id, bytes32 ciphertextHash, bytes32 nonce) private {
        bytes32 statement = keccak256(abi.encode(id, ciphertextHash, nonce));
        require(!usedStatements[statement], "DrugTrace: proof already used for this step");
        usedStatements[statement] = true;
    }

    function append(bytes32 id, bytes calldata c) private {
        traces[id].push(c);
        emit StepAppended(id, traces[id].length - 1);
    }

    function isRecentBlockHash(bytes32 nonce) private view returns (bool) {
        if (nonce == bytes32(0)) return false;
        uint256 oldest = block.number > NONCE_WINDOW ? block.number - NONCE_WINDOW : 0;
        for (uint256 n = block.number; n > oldest; n--) {
            if (blockhash(n - 1) == nonce) return true;
        }
        return false;
    }
}
