// The slice of the Solidity ABI the Yilian precompiles speak: bytes32, bytes, bytes32[] arguments
// and bytes/bool results. Input comes from contract calls, so every offset and length is checked.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace yilian::abi {

using Bytes = std::vector<uint8_t>;
using Word = std::array<uint8_t, 32>;

struct AbiError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads the arguments after the 4-byte selector.
class Reader {
public:
    explicit Reader(const Bytes& args) : args_(args) {}
    Word word(size_t index) const;
    Bytes bytes(size_t index) const;
    std::vector<Word> words(size_t index) const;

private:
    size_t offsetAt(size_t index) const;
    size_t uintAt(size_t position, const char* what) const;
    const Bytes& args_;
};

Bytes encodeBytes(const Bytes& value);
Bytes encodeBool(bool value);

}  // namespace yilian::abi
