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
    uint64_t gasUsed;
};

// reencrypt(bytes c1, bytes rk) returns (bytes): e(C1, rk), 576 bytes.
PrecompileResult callReencrypt(const std::vector<uint8_t>& input);

// verifyTrace(bytes32, bytes32, bytes32, bytes) and verifyTraceBatch(bytes32[], bytes32[], bytes32,
// bytes) return (bool): false for any proof that does not verify; only undecodable input fails.
PrecompileResult callStarkVerify(const std::vector<uint8_t>& input);

}  // namespace yilian
