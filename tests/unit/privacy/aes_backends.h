// Shared by the AES tests: every test runs on both AesBlock backends, AES-NI (skipped where
// the CPU lacks it) and the OpenSSL fallback, and RowEncryptor's tests also on its VAES path
// (kVaes; kAesNi then means 128-bit AES-NI); and small byte-string helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "privacy/aes_block.h"
#include "privacy/siv_vaes.h"

namespace strm::testing {

enum class Backend { kAesNi, kFallback, kVaes };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kAesNi:
      return "AesNi";
    case Backend::kFallback:
      return "Fallback";
    case Backend::kVaes:
      return "Vaes";
  }
  return "";
}

// A fixture base that selects the backend of its parameter for the test's duration.
class AesBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() != Backend::kFallback && !AesNiAvailable()) GTEST_SKIP() << "no AES-NI";
    if (GetParam() == Backend::kVaes && !siv::VaesAvailable()) GTEST_SKIP() << "no VAES";
    ForceAesFallbackForTesting(GetParam() == Backend::kFallback);
    siv::ForceNoVaesForTesting(GetParam() != Backend::kVaes);
    ASSERT_EQ(AesBlock().uses_aesni(), GetParam() != Backend::kFallback);
  }
  void TearDown() override {
    ForceAesFallbackForTesting(false);
    siv::ForceNoVaesForTesting(false);
  }
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
