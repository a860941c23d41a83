#include "abi.hpp"

#include <algorithm>
#include <string>

namespace yilian::abi {

namespace {
constexpr size_t WORD = 32;
}

size_t Reader::uintAt(size_t position, const char* what) const {
    if (position + WORD > args_.size()) throw AbiError(std::string(what) + " lies past the end of the input");
    // anything that needs more than 32 bits cannot be a valid offset or length here
    for (size_t i = 0; i < WORD - 4; ++i) {
        if (args_[position + i] != 0) throw AbiError(std::string(what) + " is too large");
    }
    size_t value = 0;
    for (size_t i = WORD - 4; i < WORD; ++i) value = (value << 8) | args_[position + i];
    return value;
}

size_t Reader::offsetAt(size_t index) const {
    return uintAt(index * WORD, "argument offset");
}

Word Reader::word(size_t index) const {
    if ((index + 1) * WORD > args_.size()) throw AbiError("bytes32 argument lies past the end of the input");
    Word out{};
    std::copy_n(args_.begin() + static_cast<std::ptrdiff_t>(index * WORD), WORD, out.begin());
    return out;
}

Bytes Reader::bytes(size_t index) const {
    const size_t offset = offsetAt(index);
    const size_t length = uintAt(offset, "bytes length");
    const size_t start = offset + WORD;
    if (start + length > args_.size()) throw AbiError("bytes argument lies past the end of the input");
    return Bytes(args_.begin() + static_cast<std::ptrdiff_t>(start), args_.begin() + static_cast<std::ptrdiff_t>(start + length));
}

std::vector<Word> Reader::words(size_t index) const {
    const size_t offset = offsetAt(index);
    const size_t count = uintAt(offset, "array length");
    const size_t start = offset + WORD;
    if (count > (args_.size() - std::min(start, args_.size())) / WORD) throw AbiError("bytes32[] argument lies past the end of the input");
    std::vector<Word> out(count);
    for (size_t i = 0; i < count; ++i) {
        std::copy_n(args_.begin() + static_cast<std::ptrdiff_t>(start + i * WORD), WORD, out[i].begin());
    }
    return out;
}

Bytes encodeBytes(const Bytes& value) {
    const size_t padded = (value.size() + WORD - 1) / WORD * WORD;
    Bytes out(2 * WORD + padded, 0);
    out[WORD - 1] = WORD;  // offset of the only (dynamic) result
    for (size_t i = 0; i < 4; ++i) out[2 * WORD - 1 - i] = static_cast<uint8_t>(value.size() >> (8 * i));
    std::copy(value.begin(), value.end(), out.begin() + 2 * WORD);
    return out;
}

Bytes encodeBool(bool value) {
    Bytes out(WORD, 0);
    out[WORD - 1] = value ? 1 : 0;
    return out;
}

}  // namespace yilian::abi
