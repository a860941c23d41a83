// Yilian's FISCO BCOS precompiled contracts, independent of the node's headers: each takes the
// call input (selector + ABI arguments) and returns the ABI-encoded result or an error. On a
// FISCO node, a `bcos::precompiled::Precompiled` subclass forwards `callParameters->input()` here
// and throws `protocol::PrecompiledError` on an error (see precompiled/README.md). The dev chain's
// TypeScript twins are in precompiled/embedded.ts; both follow docs/formats.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace yilian {

inline constexpr const char* REENCRYPT_ADDRESS = "0000000000000000000000000000000000005201";
inline constexpr const char* STARK_ADDRESS = "0000000000000000000000000000000000005202";

struct PrecompileResult {
    bool ok;
    std::vector<uint8_t> output;  // ABI-encoded result when ok
    std::string error;            // why the call failed when not ok
    uint64_t gasUsed;             // all of the gas given when not ok
    bool outOfGas;                // not ok because the gas given does not cover the work
};

// Gas is charged before the work: a call whose gas does not cover it fails with outOfGas before
// any pairing or verification runs, so the work a caller can make a node do is bounded by the gas
// it pays for. The dev chain's precompiles (precompiled/embedded.ts) charge the same.

// A pairing at EIP-1108's price for one pair; the inputs have fixed sizes.
inline constexpr uint64_t GAS_REENCRYPT = 45000 + 34000;

// Verification grows with the items (boundary constraints) and the bytes it parses and hashes,
// priced per byte like calldata.
inline constexpr uint64_t GAS_VERIFY = 500000;
inline constexpr uint64_t GAS_VERIFY_PER_ITEM = 2000;
inline constexpr uint64_t GAS_VERIFY_PER_INPUT_BYTE = 16;

// reencrypt(bytes c1, bytes rk) returns (bytes): e(C1, rk), 576 bytes.
PrecompileResult callReencrypt(const std::vector<uint8_t>& input, uint64_t gasAvailable);

// verifyTrace(bytes32, bytes32, bytes32, bytes) and verifyTraceBatch(bytes32[], bytes32[], bytes32,
// bytes) return (bool): false for any proof that does not verify; only undecodable input fails.
// Gas: GAS_VERIFY + GAS_VERIFY_PER_ITEM × items + GAS_VERIFY_PER_INPUT_BYTE × input.size().
PrecompileResult callStarkVerify(const std::vector<uint8_t>& input, uint64_t gasAvailable);

}  // namespace yilian
