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
/// against the signing key registered here, and reads which organisation a staff identity
/// belongs to.
contract Directory {
    struct Identity {
        uint8 role;
        /// The block of the revocation, 0 while the identity stands: no transaction runs in the
        /// genesis block, so 0 is never a revocation's block.
        uint64 revokedAt;
        /// The organisation a staff identity belongs to (a doctor's hospital), 0 for anyone else.
        address organisation;
        string name;
        bytes publicKey;
    }

    address public immutable ca;
    mapping(address => Identity) private identities;

    event IdentityRegistered(address indexed account, uint8 role, string name, address indexed organisation);
    event IdentityRevoked(address indexed account);

    modifier onlyCA() {
        require(msg.sender == ca, "Directory: only the CA may write");
        _;
    }

    constructor() {
        ca = msg.sender;
    }

    /// `publicKey` is the 64-byte secp256k1 key whose keccak-derived address is `account`.
    /// `organisation` is a doctor's hospital, registered and unrevoked now; 0 for every other role,
    /// and for a doctor the CA registers without one.
    function register(address account, uint8 role, string calldata name, bytes calldata publicKey, address organisation)
        external
        onlyCA
    {
        require(role != 0, "Directory: role 0 is not a role");
        require(bytes(name).length > 0, "Directory: name is empty");
        require(publicKey.length == 64, "Directory: public key must be 64 bytes");
        require(address(uint160(uint256(keccak256(publicKey)))) == account, "Directory: public key does not belong to the account");
        require(identities[account].role == 0, "Directory: account already registered");
        if (organisation != address(0)) {
            require(role == Roles.DOCTOR, "Directory: only a doctor belongs to an organisation");
            Identity storage employer = identities[organisation];
            require(employer.role != 0, "Directory: the organisation is not registered");
            require(employer.revokedAt == 0, "Directory: the organisation has been revoked");
            require(employer.role == Roles.HOSPITAL, "Directory: a doctor's organisation must be a hospital");
        }
        identities[account] = Identity(role, 0, organisation, name, publicKey);
        emit IdentityRegistered(account, role, name, organisation);
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

    /// The account's own entry; `organisation` is its employer's account (0 for none), whose own
    /// entry, revocation included, a reader gets with another `get`.
    function get(address account)
        external
        view
        returns (
            uint8 role,
            string memory name,
            bytes memory publicKey,
            bool revoked,
            uint64 revokedAt,
            address organisation
        )
    {
        Identity storage identity = identities[account];
        require(identity.role != 0, "Directory: account not registered");
        return (
            identity.role,
            identity.name,
            identity.publicKey,
            identity.revokedAt != 0,
            identity.revokedAt,
            identity.organisation
        );
    }

    /// The role of a registered, unrevoked account whose organisation (if any) is unrevoked too, 0
    /// for any other: what the contracts check before they let an account write. A doctor of a
    /// revoked hospital writes nothing from the hospital's revocation on.
    function activeRole(address account) external view returns (uint8) {
        Identity storage identity = identities[account];
        if (identity.revokedAt != 0) return 0;
        if (identity.organisation != address(0) && identities[identity.organisation].revokedAt != 0) return 0;
        return identity.role;
    }
}
