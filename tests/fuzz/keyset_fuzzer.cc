// Fuzzes what a keys CSV and an encrypted file carry: Tink JSON keysets, base64, hex and
// ciphertexts. Whatever decodes must encode back to the same bytes. (Base64 with nonzero
// pad bits, "QR==", decodes like "QQ==", as in Java and Python: no canonical-text check.)
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/bytes.h"
#include "privacy/tink_keyset.h"

namespace {

// VECTORS.md §1.
constexpr char kKeyset[] =
    R"({"primaryKeyId":714921229,"key":[{"keyData":{"typeUrl":"type.googleapis.com/google.crypto.tink.AesSivKey",)"
    R"("value":"EkBKGzBuy9C3UUmWaOzpe7NBEg6QK21FRhZ9MjuD5hpa0+hPJy0kn1HngA9QUT5aGbTNQQyow0V6qJCFoFRQNNTH",)"
    R"("keyMaterialType":"SYMMETRIC"},"status":"ENABLED","keyId":714921229,"outputPrefixType":"TINK"}]})";

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "keyset_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  const std::string text(reinterpret_cast<const char*>(bytes), size);

  if (Result<TinkKeyset> k = ParseTinkKeysetJson(text); k.ok()) {
    Result<TinkKeyset> again = ParseTinkKeysetJson(TinkKeysetToJson(*k));
    Check(again.ok() && *again == *k, "a written keyset does not parse to the same keyset");
  }
  if (Result<Bytes> b = Base64Decode(text); b.ok()) {
    const std::string canonical = Base64Encode(*b);
    Check(canonical.size() == text.size(), "base64 decodes to the wrong length");
    Result<Bytes> again = Base64Decode(canonical);
    Check(again.ok() && *again == *b, "base64 does not round-trip");
  }
  if (Result<Bytes> h = HexDecode(text); h.ok()) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Check(HexEncode(*h) == lower, "hex decodes to other bytes");
  }

  static const DeterministicAead aead = [] {
    Result<TinkKeyset> k = ParseTinkKeysetJson(kKeyset);
    Check(k.ok(), "test keyset");
    return DeterministicAead(*k);
  }();
  if (Result<std::string> p = aead.DecryptBase64(text); p.ok()) {
    std::string out;
    aead.EncryptToBase64(*p, out);
    Check(Base64Decode(out).value() == Base64Decode(text).value(),
          "a ciphertext that decrypts does not encrypt back to itself");
  }
  return 0;
}
