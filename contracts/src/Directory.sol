// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The consortium's registry of identities: only the CA writes; anyone verifies a signature
/// against the signing key registered here.
contract Directory {
    struct Identity {
        uint8 role;
        string name;
        bytes publicKey;
        bool revoked;
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
        identities[account] = Identity(role, name, publicKey, false);
        emit IdentityRegistered(account, role, name);
    }

    function revoke(address account) external onlyCA {
        Identity storage identity = identities[account];
        require(identity.role != 0, "Directory: account not registered");
        require(!identity.revoked, "Directory: already revoked");
        identity.revoked = true;
        emit IdentityRevoked(account);
    }

    function get(address account) external view returns (uint8 role, string memory name, bytes memory publicKey, bool revoked) {
        Identity storage identity = identities[account];
        require(identity.role != 0, "Directory: account not registered");
        return (identity.role, identity.name, identity.publicKey, identity.revoked);
    }
}
