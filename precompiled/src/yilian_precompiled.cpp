#include "yilian_precompiled.hpp"

#include <yilian_native.h>

#include <string>

#include "abi.hpp"

namespace yilian {

namespace {

// keccak256 of the signatures, first 4 bytes (the same selectors solc emits for Precompiles.sol)
constexpr uint32_t SELECTOR_REENCRYPT = 0x2531c64d;
constexpr uint32_t SELECTOR_VERIFY_TRACE = 0xc0c2c726;
constexpr uint32_t SELECTOR_VERIFY_TRACE_BATCH = 0xb098de4f;

uint32_t selectorOf(const std::vector<uint8_t>& input) {
    if (input.size() < 4) throw abi::AbiError("input shorter than a function selector");
    return (uint32_t{input[0]} << 24) | (uint32_t{input[1]} << 16) | (uint32_t{input[2]} << 8) | input[3];
}

// A failed call uses up all the gas it was given, as an exceptional halt does.
PrecompileResult failure(std::string error, uint64_t gasAvailable) {
    return {false, {}, std::move(error), gasAvailable, false};
}

PrecompileResult outOfGas(const char* function, uint64_t needed, uint64_t gasAvailable) {
    return {false, {}, std::string("out of gas: ") + function + " needs " + std::to_string(needed) + " gas, " + std::to_string(gasAvailable) + " given", gasAvailable, true};
}

const char* statusName(int32_t status) {
    switch (status) {
        case YILIAN_STATUS_BAD_LENGTH: return "BAD_LENGTH";
        case YILIAN_STATUS_BAD_POINT: return "BAD_POINT";
        case YILIAN_STATUS_BAD_TRACE_ID: return "BAD_TRACE_ID";
        case YILIAN_STATUS_BAD_BATCH_SIZE: return "BAD_BATCH_SIZE";
        case YILIAN_STATUS_NULL_POINTER: return "NULL_POINTER";
        case YILIAN_STATUS_PANIC: return "PANIC";
        default: return "ERROR";
    }
}

std::vector<uint8_t> concatenate(const std::vector<abi::Word>& words) {
    std::vector<uint8_t> out;
    out.reserve(words.size() * 32);
    for (const auto& word : words) out.insert(out.end(), word.begin(), word.end());
    return out;
}

}  // namespace

PrecompileResult callReencrypt(const std::vector<uint8_t>& input, uint64_t gasAvailable) {
    if (gasAvailable < GAS_REENCRYPT) return outOfGas("reencrypt", GAS_REENCRYPT, gasAvailable);
    try {
        if (selectorOf(input) != SELECTOR_REENCRYPT) return failure("unknown function selector", gasAvailable);
        const std::vector<uint8_t> args(input.begin() + 4, input.end());
        const abi::Reader reader(args);
        const auto c1 = reader.bytes(0);
        const auto rk = reader.bytes(1);
        std::vector<uint8_t> out(YILIAN_GT_BYTES);
        const int32_t status = yilian_reencrypt(c1.data(), c1.size(), rk.data(), rk.size(), out.data(), out.size());
        if (status != YILIAN_STATUS_OK) return failure(std::string("reencrypt: ") + statusName(status), gasAvailable);
        return {true, abi::encodeBytes(out), {}, GAS_REENCRYPT, false};
    } catch (const abi::AbiError& error) {
        return failure(error.what(), gasAvailable);
    }
}

PrecompileResult callStarkVerify(const std::vector<uint8_t>& input, uint64_t gasAvailable) {
    try {
        const uint32_t selector = selectorOf(input);
        if (selector != SELECTOR_VERIFY_TRACE && selector != SELECTOR_VERIFY_TRACE_BATCH) return failure("unknown function selector", gasAvailable);
        const std::vector<uint8_t> args(input.begin() + 4, input.end());
        const abi::Reader reader(args);
        std::vector<uint8_t> ids;
        std::vector<uint8_t> hashes;
        if (selector == SELECTOR_VERIFY_TRACE) {
            const auto id = reader.word(0);
            const auto hash = reader.word(1);
            ids.assign(id.begin(), id.end());
            hashes.assign(hash.begin(), hash.end());
        } else {
            const auto idWords = reader.words(0);
            const auto hashWords = reader.words(1);
            if (idWords.size() != hashWords.size()) return failure("ids and ciphertext hashes differ in number", gasAvailable);
            ids = concatenate(idWords);
            hashes = concatenate(hashWords);
        }
        const auto nonce = reader.word(2);
        const auto proof = reader.bytes(3);
        // items ≤ input.size() / 32, so no product here overflows
        const uint64_t needed = GAS_VERIFY + GAS_VERIFY_PER_ITEM * (ids.size() / 32) + GAS_VERIFY_PER_INPUT_BYTE * input.size();
        if (gasAvailable < needed) return outOfGas(selector == SELECTOR_VERIFY_TRACE ? "verifyTrace" : "verifyTraceBatch", needed, gasAvailable);
        const int32_t status = yilian_verify(ids.data(), ids.size(), hashes.data(), hashes.size(), nonce.data(), nonce.size(), proof.data(), proof.size());
        return {true, abi::encodeBool(status == YILIAN_STATUS_OK), {}, needed, false};
    } catch (const abi::AbiError& error) {
        return failure(error.what(), gasAvailable);
    }
}

}  // namespace yilian
