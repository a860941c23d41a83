// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Precompiles} from "./Precompiles.sol";

/// Record keys wrapped to the patient (AFGH first-level ciphertexts), by record id = H(CID).
/// Create and read only; events carry the id alone, so nothing links a record to a person.
contract RecordRegistry {
    uint256 private constant CIPHERTEXT_LENGTH = 110; // 0x01 ‖ C1 (48) ‖ envelope (61)
    uint256 private constant C1_OFFSET = 1;
    uint256 private constant C1_LENGTH = 48;
    uint256 private constant ENVELOPE_OFFSET = 49;

    mapping(bytes32 => bytes) private wrappedKeys;

    event RecordCreated(bytes32 indexed id);

    function create(bytes32 id, bytes calldata wrappedKey) external {
        require(wrappedKeys[id].length == 0, "RecordRegistry: record exists");
        require(wrappedKey.length == CIPHERTEXT_LENGTH && wrappedKey[0] == 0x01, "RecordRegistry: not a first-level PRE ciphertext");
        wrappedKeys[id] = wrappedKey;
        emit RecordCreated(id);
    }

    function get(bytes32 id) external view returns (bytes memory) {
        bytes memory wrappedKey = wrappedKeys[id];
        require(wrappedKey.length != 0, "RecordRegistry: no such record");
        return wrappedKey;
    }

    /// The key re-encrypted with `rk`, computed in a read-only call so a grant leaves no
    /// transaction: 0x02 ‖ C1 ‖ e(C1, rk) ‖ envelope.
    function reencrypt(bytes32 id, bytes calldata rk) external view returns (bytes memory) {
        bytes memory wrappedKey = wrappedKeys[id];
        require(wrappedKey.length != 0, "RecordRegistry: no such record");
        bytes memory c1 = slice(wrappedKey, C1_OFFSET, C1_LENGTH);
        bytes memory reencrypted = Precompiles.REENCRYPT.reencrypt(c1, rk);
        return bytes.concat(bytes1(0x02), c1, reencrypted, slice(wrappedKey, ENVELOPE_OFFSET, wrappedKey.length - ENVELOPE_OFFSET));
    }

    function slice(bytes memory data, uint256 start, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        for (uint256 i = 0; i < length; i++) out[i] = data[start + i];
    }
}
