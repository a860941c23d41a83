// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Precompiles} from "./Precompiles.sol";
import {Directory, Roles} from "./Directory.sol";

/// Encrypted supply-chain steps by trace id = Rescue(trace code). Only a holder of the code can
/// append: each push carries a STARK bound to (id, keccak256(c), nonce), where the nonce is the
/// hash of a recent block. A statement (id, keccak256(c), nonce) is accepted once: proofs are
/// randomised, so remembering proof bytes would let the same step be pushed again with a fresh
/// proof, while remembering the statement refuses every replay of it.
///
/// Only registered, unrevoked manufacturers, carriers and pharmacies push, and each step records
/// its sender and block: a reader accepts a step only from the account that signed it, judged
/// against the Directory as of that block.
contract DrugTrace {
    uint256 public constant NONCE_WINDOW = 256;

    struct Step {
        bytes ciphertext;
        address sender;
        uint64 blockNumber;
    }

    Directory public immutable directory;
    mapping(bytes32 => Step[]) private traces;
    mapping(bytes32 => bool) private usedStatements;

    event StepAppended(bytes32 indexed id, uint256 index);

    /// Checked before the proof, so a stranger cannot make the chain verify STARKs for nothing.
    modifier onlyParticipants() {
        uint8 role = directory.activeRole(msg.sender);
        require(
            role == Roles.MANUFACTURER || role == Roles.CARRIER || role == Roles.PHARMACY,
            "DrugTrace: only registered, unrevoked manufacturers, carriers and pharmacies may push"
        );
        _;
    }

    constructor(Directory directory_) {
        directory = directory_;
    }

    function push(bytes32 id, bytes calldata c, bytes32 nonce, bytes calldata proof) external onlyParticipants {
        require(isRecentBlockHash(nonce), "DrugTrace: nonce is not a recent block hash");
        bytes32 ciphertextHash = keccak256(c);
        useStatement(id, ciphertextHash, nonce);
        require(Precompiles.STARK.verifyTrace(id, ciphertextHash, nonce, proof), "DrugTrace: proof rejected");
        append(id, c);
    }

    /// One proof for many items (an ERP production batch).
    function pushBatch(bytes32[] calldata ids, bytes[] calldata cs, bytes32 nonce, bytes calldata proof)
        external
        onlyParticipants
    {
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

    function read(bytes32 id) external view returns (Step[] memory) {
        return traces[id];
    }

    function useStatement(bytes32 id, bytes32 ciphertextHash, bytes32 nonce) private {
        bytes32 statement = keccak256(abi.encode(id, ciphertextHash, nonce));
        require(!usedStatements[statement], "DrugTrace: proof already used for this step");
        usedStatements[statement] = true;
    }

    function append(bytes32 id, bytes calldata c) private {
        traces[id].push(Step(c, msg.sender, uint64(block.number)));
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
