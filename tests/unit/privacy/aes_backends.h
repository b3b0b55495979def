// Shared by the AES tests: every test runs on both AesBlock backends, AES-NI (skipped where
// the CPU lacks it) and the OpenSSL fallback; and small byte-string helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "privacy/aes_block.h"

namespace strm::testing {

enum class Backend { kAesNi, kFallback };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kAesNi ? "AesNi" : "Fallback";
}

// A fixture base that selects the backend of its parameter for the test's duration.
class AesBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kAesNi && !AesNiAvailable()) GTEST_SKIP() << "no AES-NI";
    ForceAesFallbackForTesting(GetParam() == Backend::kFallback);
    ASSERT_EQ(AesBlock().uses_aesni(), GetParam() == Backend::kAesNi);
  }
  void TearDown() override { ForceAesFallbackForTesting(false); }
};

inline Bytes Hex(std::string_view hex) {
  auto b = HexDecode(hex);
  if (!b.ok()) std::abort();
  return *b;
}

// 00 01 02 ... (n bytes).
inline Bytes Seq(size_t n) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), uint8_t{0});
  return b;
}

}  // namespace strm::testing
