// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The Directory's roles that the other contracts check (core/roles.ts is the one list;
/// contracts/contracts.test.ts checks every role against these).
library Roles {
    uint8 internal constant HOSPITAL = 2;
    uint8 internal constant DOCTOR = 3;
    uint8 internal constant PHARMACY = 5;
    uint8 internal constant MANUFACTURER = 7;
    uint8 internal constant CARRIER = 8;
}

/// The consortium's registry of identities: only the CA writes; anyone verifies a signature
/// against the signing key registered here.
contract Directory {
    struct Identity {
        uint8 role;
        /// The block of the revocation, 0 while the identity stands: no transaction runs in the
        /// genesis block, so 0 is never a revocation's block.
        uint64 revokedAt;
        string name;
        bytes publicKey;
    }

    address public immutable ca;
    mapping(address => Identity) private identities;

    event IdentityRegistered(address indexed account, uint8 role, string name);
    event IdentityRevoked(address indexed account);

    modifier onlyCA() {
        require(msg.sender == ca, "Directory: only the CA may write");
        _;
    }

    constructor() {
        ca = msg.sender;
    }

    /// `publicKey` is the 64-byte secp256k1 key whose keccak-derived address is `account`.
    function register(address account, uint8 role, string calldata name, bytes calldata publicKey) external onlyCA {
        require(role != 0, "Directory: role 0 is not a role");
        require(bytes(name).length > 0, "Directory: name is empty");
        require(publicKey.length == 64, "Directory: public key must be 64 bytes");
        require(address(uint160(uint256(keccak256(publicKey)))) == account, "Directory: public key does not belong to the account");
        require(identities[account].role == 0, "Directory: account already registered");
        identities[account] = Identity(role, 0, name, publicKey);
        emit IdentityRegistered(account, role, name);
    }

    /// Revocation is for ever and dated: what the identity did on chain before this block stays
    /// valid history, and the contracts refuse it from this transaction on.
    function revoke(address account) external onlyCA {
        Identity storage identity = identities[account];
        require(identity.role != 0, "Directory: account not registered");
        require(identity.revokedAt == 0, "Directory: already revoked");
        identity.revokedAt = uint64(block.number);
        emit IdentityRevoked(account);
    }

    function get(address account)
        external
        view
        returns (uint8 role, string memory name, bytes memory publicKey, bool revoked, uint64 revokedAt)
    {
        Identity storage identity = identities[account];
        require(identity.role != 0, "Directory: account not registered");
        return (identity.role, identity.name, identity.publicKey, identity.revokedAt != 0, identity.revokedAt);
    }

    /// The role of a registered, unrevoked account, 0 for any other: what the contracts check
    /// before they let an account write.
    function activeRole(address account) external view returns (uint8) {
        Identity storage identity = identities[account];
        return identity.revokedAt == 0 ? identity.role : 0;
    }
}
