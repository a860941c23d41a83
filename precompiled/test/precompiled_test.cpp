// The C++ precompiles against the shared vectors: docs/vectors/pre.json (made by the TypeScript
// PRE, mcl-wasm) and test/vectors/trace-proof.json (real proofs from native/).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "abi.hpp"
#include "yilian_precompiled.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

std::string readFile(const char* path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

Bytes fromHex(const std::string& hex) {
    Bytes out(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

// The quoted string starting at or after `from`; std::regex recurses per character and
// overflows the stack on 60 KB proofs, so this scans by hand.
std::string quotedAfter(const std::string& json, size_t from, size_t* end) {
    const size_t open = json.find('"', from);
    const size_t close = json.find('"', open + 1);
    *end = close + 1;
    return json.substr(open + 1, close - open - 1);
}

// Every string value of `key` in the JSON text, in order of appearance.
std::vector<std::string> valuesOf(const std::string& json, const std::string& key) {
    std::vector<std::string> out;
    const std::string needle = "\"" + key + "\":";
    for (size_t at = json.find(needle); at != std::string::npos; at = json.find(needle, at)) {
        size_t end = 0;
        out.push_back(quotedAfter(json, at + needle.size(), &end));
        at = end;
    }
    return out;
}

// The hex strings of the array under `key`.
std::vector<std::string> arrayOf(const std::string& json, const std::string& key) {
    const size_t start = json.find("\"" + key + "\":");
    const size_t close = json.find(']', start);
    std::vector<std::string> out;
    size_t at = json.find('[', start) + 1;
    while (json.find('"', at) < close) {
        size_t end = 0;
        out.push_back(quotedAfter(json, at, &end));
        at = end;
    }
    return out;
}

Bytes word(uint64_t value) {
    Bytes out(32, 0);
    for (size_t i = 0; i < 8; ++i) out[31 - i] = static_cast<uint8_t>(value >> (8 * i));
    return out;
}

Bytes padded(const Bytes& data) {
    Bytes out = data;
    out.resize((data.size() + 31) / 32 * 32, 0);
    return out;
}

void append(Bytes& to, const Bytes& from) { to.insert(to.end(), from.begin(), from.end()); }

Bytes selector(uint32_t value) {
    return {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
}

Bytes reencryptCall(const Bytes& c1, const Bytes& rk) {
    Bytes call = selector(0x2531c64d);
    const Bytes c1Tail = padded(c1);
    append(call, word(64));
    append(call, word(64 + 32 + c1Tail.size()));
    append(call, word(c1.size()));
    append(call, c1Tail);
    append(call, word(rk.size()));
    append(call, padded(rk));
    return call;
}

Bytes verifyTraceCall(const Bytes& id, const Bytes& hash, const Bytes& nonce, const Bytes& proof) {
    Bytes call = selector(0xc0c2c726);
    append(call, id);
    append(call, hash);
    append(call, nonce);
    append(call, word(128));
    append(call, word(proof.size()));
    append(call, padded(proof));
    return call;
}

Bytes verifyTraceBatchCall(const std::vector<Bytes>& ids, const std::vector<Bytes>& hashes, const Bytes& nonce, const Bytes& proof) {
    Bytes call = selector(0xb098de4f);
    const size_t idsOffset = 128;
    const size_t hashesOffset = idsOffset + 32 * (1 + ids.size());
    const size_t proofOffset = hashesOffset + 32 * (1 + hashes.size());
    append(call, word(idsOffset));
    append(call, word(hashesOffset));
    append(call, nonce);
    append(call, word(proofOffset));
    append(call, word(ids.size()));
    for (const auto& id : ids) append(call, id);
    append(call, word(hashes.size()));
    for (const auto& hash : hashes) append(call, hash);
    append(call, word(proof.size()));
    append(call, padded(proof));
    return call;
}

Bytes trueWord() { return yilian::abi::encodeBool(true); }
Bytes falseWord() { return yilian::abi::encodeBool(false); }

// More gas than any call here needs: FISCO's default transaction gas limit.
constexpr uint64_t PLENTY = 300000000;

struct SingleVector {
    Bytes id, hash, nonce, proof;
};

SingleVector singleVector() {
    const std::string json = readFile(TRACE_VECTOR);
    return {fromHex(valuesOf(json, "id").at(0)), fromHex(valuesOf(json, "ciphertextHash").at(0)), fromHex(valuesOf(json, "nonce").at(0)),
            fromHex(valuesOf(json, "proof").at(0))};
}

}  // namespace

TEST(Reencrypt, ReproducesEveryTypeScriptVector) {
    const std::string json = readFile(PRE_VECTORS);
    const auto c1s = valuesOf(json, "c1");
    const auto rks = valuesOf(json, "rk");
    const auto expected = valuesOf(json, "reencrypted");
    ASSERT_GE(c1s.size(), 4u);
    ASSERT_EQ(c1s.size(), rks.size());
    ASSERT_EQ(c1s.size(), expected.size());
    for (size_t i = 0; i < c1s.size(); ++i) {
        const auto result = yilian::callReencrypt(reencryptCall(fromHex(c1s[i]), fromHex(rks[i])), PLENTY);
        ASSERT_TRUE(result.ok) << result.error;
        EXPECT_EQ(result.output, yilian::abi::encodeBytes(fromHex(expected[i]))) << "vector " << i;
        EXPECT_EQ(result.gasUsed, yilian::GAS_REENCRYPT);
    }
}

TEST(Reencrypt, RefusesBadPointsAndMalformedCalls) {
    const std::string json = readFile(PRE_VECTORS);
    const Bytes c1 = fromHex(valuesOf(json, "c1").at(0));
    const Bytes rk = fromHex(valuesOf(json, "rk").at(0));

    Bytes identity(48, 0);
    identity[0] = 0xc0;  // the compressed point at infinity
    auto result = yilian::callReencrypt(reencryptCall(identity, rk), PLENTY);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error, "reencrypt: BAD_POINT");

    result = yilian::callReencrypt(reencryptCall(c1, Bytes(95, 1)), PLENTY);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error, "reencrypt: BAD_LENGTH");

    Bytes truncated = reencryptCall(c1, rk);
    truncated.resize(truncated.size() - 64);
    result = yilian::callReencrypt(truncated, PLENTY);
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find("past the end"), std::string::npos) << result.error;

    Bytes hugeOffset = reencryptCall(c1, rk);
    hugeOffset[4] = 0xff;
    EXPECT_FALSE(yilian::callReencrypt(hugeOffset, PLENTY).ok);

    EXPECT_FALSE(yilian::callReencrypt({0x01, 0x02}, PLENTY).ok);
    EXPECT_EQ(yilian::callReencrypt(selector(0xdeadbeef), PLENTY).error, "unknown function selector");
}

TEST(StarkVerify, AcceptsRealProofsAndOnlyForTheirStatement) {
    const std::string json = readFile(TRACE_VECTOR);
    const Bytes id = fromHex(valuesOf(json, "id").at(0));
    const Bytes hash = fromHex(valuesOf(json, "ciphertextHash").at(0));
    const Bytes nonce = fromHex(valuesOf(json, "nonce").at(0));
    const Bytes proof = fromHex(valuesOf(json, "proof").at(0));

    auto result = yilian::callStarkVerify(verifyTraceCall(id, hash, nonce, proof), PLENTY);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.output, trueWord());

    Bytes otherHash = hash;
    otherHash[0] ^= 1;
    EXPECT_EQ(yilian::callStarkVerify(verifyTraceCall(id, otherHash, nonce, proof), PLENTY).output, falseWord());
    Bytes otherNonce = nonce;
    otherNonce[31] ^= 1;
    EXPECT_EQ(yilian::callStarkVerify(verifyTraceCall(id, hash, otherNonce, proof), PLENTY).output, falseWord());
    Bytes flipped = proof;
    flipped[flipped.size() / 2] ^= 0x10;
    EXPECT_EQ(yilian::callStarkVerify(verifyTraceCall(id, hash, nonce, flipped), PLENTY).output, falseWord());
    EXPECT_EQ(yilian::callStarkVerify(verifyTraceCall(id, hash, nonce, Bytes(proof.begin(), proof.begin() + 100)), PLENTY).output, falseWord());
}

TEST(StarkVerify, VerifiesABatchWithOneProof) {
    const std::string json = readFile(TRACE_VECTOR);
    std::vector<Bytes> ids;
    std::vector<Bytes> hashes;
    for (const auto& hex : arrayOf(json, "ids")) ids.push_back(fromHex(hex));
    for (const auto& hex : arrayOf(json, "ciphertextHashes")) hashes.push_back(fromHex(hex));
    ASSERT_EQ(ids.size(), 3u);
    const Bytes nonce = fromHex(valuesOf(json, "nonce").at(1));
    const Bytes proof = fromHex(valuesOf(json, "proof").at(1));

    auto result = yilian::callStarkVerify(verifyTraceBatchCall(ids, hashes, nonce, proof), PLENTY);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.output, trueWord());

    std::swap(hashes[0], hashes[1]);
    EXPECT_EQ(yilian::callStarkVerify(verifyTraceBatchCall(ids, hashes, nonce, proof), PLENTY).output, falseWord());
    hashes.pop_back();
    result = yilian::callStarkVerify(verifyTraceBatchCall(ids, hashes, nonce, proof), PLENTY);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error, "ids and ciphertext hashes differ in number");
}

// Every byte of both vectors, one bit flipped (a different bit per position), through the call
// the chain makes: never true. Flips the verifier panics on are refused too (their one-line
// reports are captured, there are a few hundred).
TEST(StarkVerify, EveryFlippedByteOfASingleAndABatchProofIsRefused) {
    const std::string json = readFile(TRACE_VECTOR);
    const auto v = singleVector();
    std::vector<Bytes> ids;
    std::vector<Bytes> hashes;
    for (const auto& hex : arrayOf(json, "ids")) ids.push_back(fromHex(hex));
    for (const auto& hex : arrayOf(json, "ciphertextHashes")) hashes.push_back(fromHex(hex));
    const Bytes batchNonce = fromHex(valuesOf(json, "nonce").at(1));
    const Bytes batchProof = fromHex(valuesOf(json, "proof").at(1));

    const auto refusesEveryFlip = [](const Bytes& proof, const auto& call) {
        testing::internal::CaptureStderr();
        size_t accepted = 0;
        for (size_t pos = 0; pos < proof.size(); ++pos) {
            Bytes bad = proof;
            bad[pos] ^= static_cast<uint8_t>(1u << (pos % 8));
            const auto result = yilian::callStarkVerify(call(bad), PLENTY);
            if (result.ok && result.output == trueWord()) {
                ADD_FAILURE() << "flipping byte " << pos << " was accepted";
                ++accepted;
            }
        }
        testing::internal::GetCapturedStderr();
        return accepted;
    };
    ASSERT_TRUE(yilian::callStarkVerify(verifyTraceBatchCall(ids, hashes, batchNonce, batchProof), PLENTY).ok);
    EXPECT_EQ(refusesEveryFlip(v.proof, [&](const Bytes& p) { return verifyTraceCall(v.id, v.hash, v.nonce, p); }), 0u);
    EXPECT_EQ(refusesEveryFlip(batchProof, [&](const Bytes& p) { return verifyTraceBatchCall(ids, hashes, batchNonce, p); }), 0u);
}

TEST(Reencrypt, ChargesItsGasBeforePairing) {
    const std::string json = readFile(PRE_VECTORS);
    const Bytes call = reencryptCall(fromHex(valuesOf(json, "c1").at(0)), fromHex(valuesOf(json, "rk").at(0)));

    auto result = yilian::callReencrypt(call, yilian::GAS_REENCRYPT - 1);
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(result.outOfGas);
    EXPECT_EQ(result.gasUsed, yilian::GAS_REENCRYPT - 1);
    EXPECT_EQ(result.error, "out of gas: reencrypt needs 79000 gas, 78999 given");

    result = yilian::callReencrypt(call, yilian::GAS_REENCRYPT);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.gasUsed, 79000u);
}

// The numbers are pinned: ops/devchain/hostile-input.test.ts expects the same gas from the dev
// chain's precompile for the same call, which keeps the two implementations charging alike.
TEST(StarkVerify, ChargesGasByItemsAndInputBytesBeforeVerifying) {
    const auto v = singleVector();
    const Bytes call = verifyTraceCall(v.id, v.hash, v.nonce, v.proof);
    ASSERT_EQ(call.size(), 49220u);  // selector, 5 words, the 49 056-byte proof
    const uint64_t needed = 500000 + 2000 * 1 + 16 * 49220;
    ASSERT_EQ(needed, 1289520u);

    auto result = yilian::callStarkVerify(call, needed - 1);
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(result.outOfGas);
    EXPECT_EQ(result.gasUsed, needed - 1);
    EXPECT_EQ(result.error, "out of gas: verifyTrace needs 1289520 gas, 1289519 given");

    result = yilian::callStarkVerify(call, needed);
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.output, trueWord());
    EXPECT_EQ(result.gasUsed, needed);

    const std::string json = readFile(TRACE_VECTOR);
    std::vector<Bytes> ids;
    std::vector<Bytes> hashes;
    for (const auto& hex : arrayOf(json, "ids")) ids.push_back(fromHex(hex));
    for (const auto& hex : arrayOf(json, "ciphertextHashes")) hashes.push_back(fromHex(hex));
    const Bytes batch = verifyTraceBatchCall(ids, hashes, fromHex(valuesOf(json, "nonce").at(1)), fromHex(valuesOf(json, "proof").at(1)));
    const uint64_t batchNeeded = 500000 + 2000 * 3 + 16 * batch.size();
    EXPECT_TRUE(yilian::callStarkVerify(batch, batchNeeded - 1).outOfGas);
    EXPECT_EQ(yilian::callStarkVerify(batch, batchNeeded).gasUsed, batchNeeded);
}

// Byte 2 of a proof lies in its trace info, where winterfell asserts instead of returning an
// error. The refusal is one short line on stderr, even with RUST_BACKTRACE=1; and with too little
// gas there is not even that, because the proof is never looked at.
TEST(StarkVerify, ProofsThatPanicTheVerifierAreRefusedInOneLine) {
    ASSERT_EQ(setenv("RUST_BACKTRACE", "1", 1), 0);
    const auto v = singleVector();
    Bytes hostile = v.proof;
    hostile[2] = 1;
    const Bytes call = verifyTraceCall(v.id, v.hash, v.nonce, hostile);

    testing::internal::CaptureStderr();
    const auto starved = yilian::callStarkVerify(call, 600000);
    const std::string silent = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(starved.outOfGas);
    EXPECT_EQ(silent, "");

    testing::internal::CaptureStderr();
    const auto result = yilian::callStarkVerify(call, PLENTY);
    const std::string logged = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.output, falseWord());
    EXPECT_EQ(logged.rfind("yilian-native: refused input (panic at ", 0), 0u) << logged;
    EXPECT_EQ(logged.find('\n'), logged.size() - 1) << logged;
    EXPECT_LT(logged.size(), 240u) << logged;
}
