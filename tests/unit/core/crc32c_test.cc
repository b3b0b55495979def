#include "core/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace strm {
namespace {

// Check values of the CRC-32C catalogue (reveng: CRC-32/ISCSI) and RFC 3720's test vectors.
TEST(Crc32c, MatchesTheKnownValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, ContinuesAcrossPiecesAndUnalignedStarts) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  const uint32_t whole = Crc32c(data);
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u})
    EXPECT_EQ(Crc32c(data.substr(cut), Crc32c(data.substr(0, cut))), whole) << cut;
  for (size_t start = 0; start < 8; ++start)
    EXPECT_EQ(Crc32c(std::string_view(data).substr(start, 100)),
              Crc32c(std::string(data.substr(start, 100))));
  std::string changed = data;
  changed[500] ^= 1;
  EXPECT_NE(Crc32c(changed), whole);
}

}  // namespace
}  // namespace strm
