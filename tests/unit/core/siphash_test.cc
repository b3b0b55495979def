#include "core/siphash.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "core/bytes.h"

namespace strm {
namespace {

// The reference implementation's vectors: key 00..0f, message 00..(n-1) for n = 0..63.
constexpr uint64_t kVectors[64] = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
    0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
    0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
    0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
    0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
    0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
    0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
    0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
    0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
    0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
    0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
    0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
    0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

TEST(SipHashTest, MatchesTheReferenceVectors) {
  SipKey key;
  std::iota(key.begin(), key.end(), 0);
  std::vector<uint8_t> message(64);
  std::iota(message.begin(), message.end(), 0);
  for (size_t n = 0; n < 64; ++n) {
    EXPECT_EQ(SipHash24(key, std::span(message.data(), n)), kVectors[n]) << "length " << n;
  }
}

// The reference's 128-bit vectors (same key and messages) for lengths that take each path
// of the last block: the output's 16 bytes as two little-endian words.
TEST(SipHashTest, MatchesTheReference128BitVectors) {
  struct Vector {
    size_t n;
    const char* hex;
  };
  const Vector vectors[] = {
      {0, "a3817f04ba25a8e66df67214c7550293"},  {1, "da87c1d86b99af44347659119b22fc45"},
      {7, "a1f1ebbed8dbc153c0b84aa61ff08239"},  {8, "3b62a9ba6258f5610f83e264f31497b4"},
      {15, "5493e99933b0a8117e08ec0f97cfc3d9"}, {16, "6ee2a4ca67b054bbfd3315bf85230577"},
      {63, "5150d1772f50834a503e069a973fbd7c"},
  };
  SipKey key;
  std::iota(key.begin(), key.end(), 0);
  std::vector<uint8_t> message(64);
  std::iota(message.begin(), message.end(), 0);
  for (const Vector& v : vectors) {
    const SipHash128 h = SipHash24x128(key, std::span(message.data(), v.n));
    uint8_t bytes[16];
    for (int i = 0; i < 8; ++i) {
      bytes[i] = static_cast<uint8_t>(h.lo >> (8 * i));
      bytes[8 + i] = static_cast<uint8_t>(h.hi >> (8 * i));
    }
    EXPECT_EQ(HexEncode(bytes), v.hex) << "length " << v.n;
  }
}

TEST(SipHashTest, DependsOnTheKey) {
  SipKey a{}, b{};
  b[15] = 1;
  EXPECT_NE(SipHash24(a, "user_1"), SipHash24(b, "user_1"));
  EXPECT_EQ(SipHash24(a, "user_1"), SipHash24(a, std::string_view("user_1")));
  EXPECT_NE(SipHash24x128(a, "user_1").lo, SipHash24x128(b, "user_1").lo);
  EXPECT_NE(SipHash24x128(a, "user_1").hi, SipHash24x128(b, "user_1").hi);
}

}  // namespace
}  // namespace strm
