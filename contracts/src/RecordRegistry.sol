// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Precompiles} from "./Precompiles.sol";
import {Directory, Roles} from "./Directory.sol";

/// Record keys wrapped to the patient (AFGH first-level ciphertexts). Only registered, unrevoked
/// hospitals and doctors create records, and a record's id is keccak256(author ‖ keccak256(CID)):
/// the contract derives it from the sender, so an id can be written only by its author, and
/// whoever learns a CID early can create only an id of their own. Create and read only; events
/// carry the id alone, so nothing links a record to a patient.
contract RecordRegistry {
    uint256 private constant CIPHERTEXT_LENGTH = 110; // 0x01 ‖ C1 (48) ‖ envelope (61)
    uint256 private constant C1_OFFSET = 1;
    uint256 private constant C1_LENGTH = 48;
    uint256 private constant ENVELOPE_OFFSET = 49;

    struct Record {
        bytes wrappedKey;
        /// The block it was created in: a reader judges its author's revocation as of this block.
        uint64 createdAt;
    }

    Directory public immutable directory;
    mapping(bytes32 => Record) private records;

    event RecordCreated(bytes32 indexed id);

    constructor(Directory directory_) {
        directory = directory_;
    }

    /// The most records one `createBatch` takes: 256 stay far below FISCO's default `tx_gas_limit`.
    uint256 public constant MAX_BATCH = 256;

    /// `cidHash` is keccak256 of the content's binary CID; returns the record id.
    function create(bytes32 cidHash, bytes calldata wrappedKey) external returns (bytes32 id) {
        requireAuthor();
        bool created;
        (id, created) = store(cidHash, wrappedKey);
        require(created, "RecordRegistry: record exists");
    }

    /// Many records of the sender in one transaction. A record whose id exists already (an earlier
    /// attempt of the same batch committed it) is skipped, not a revert of the batch: `created[i]`
    /// says whether `ids[i]` was written by this call, and only those emit `RecordCreated`.
    function createBatch(bytes32[] calldata cidHashes, bytes[] calldata wrappedKeys)
        external
        returns (bytes32[] memory ids, bool[] memory created)
    {
        requireAuthor();
        require(
            cidHashes.length == wrappedKeys.length && cidHashes.length > 0 && cidHashes.length <= MAX_BATCH,
            "RecordRegistry: a batch is 1 to 256 CID hashes with as many wrapped keys"
        );
        ids = new bytes32[](cidHashes.length);
        created = new bool[](cidHashes.length);
        for (uint256 i = 0; i < cidHashes.length; i++) (ids[i], created[i]) = store(cidHashes[i], wrappedKeys[i]);
    }

    function requireAuthor() private view {
        uint8 role = directory.activeRole(msg.sender);
        require(
            role == Roles.HOSPITAL || role == Roles.DOCTOR,
            "RecordRegistry: only registered, unrevoked hospitals and doctors may create records"
        );
    }

    /// Writes the record unless its id exists; a malformed key reverts, whatever the batch.
    function store(bytes32 cidHash, bytes calldata wrappedKey) private returns (bytes32 id, bool created) {
        require(wrappedKey.length == CIPHERTEXT_LENGTH && wrappedKey[0] == 0x01, "RecordRegistry: not a first-level PRE ciphertext");
        id = keccak256(abi.encodePacked(msg.sender, cidHash));
        if (records[id].createdAt != 0) return (id, false);
        records[id] = Record(wrappedKey, uint64(block.number));
        emit RecordCreated(id);
        return (id, true);
    }

    function get(bytes32 id) external view returns (bytes memory wrappedKey, uint64 createdAt) {
        Record storage record = records[id];
        require(record.createdAt != 0, "RecordRegistry: no such record");
        return (record.wrappedKey, record.createdAt);
    }

    /// The key re-encrypted with `rk`, computed in a read-only call so a grant leaves no
    /// transaction: 0x02 ‖ C1 ‖ e(C1, rk) ‖ envelope.
    function reencrypt(bytes32 id, bytes calldata rk) external view returns (bytes memory) {
        bytes memory wrappedKey = records[id].wrappedKey;
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
