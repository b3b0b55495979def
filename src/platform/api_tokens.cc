#include "platform/api_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/base64url.h"
#include "core/bytes.h"
#include "platform/platform.h"

namespace strm {
namespace {

constexpr std::string_view kPrefix = "strm_";
constexpr size_t kIdBytes = 6, kIdChars = 2 * kIdBytes;
constexpr size_t kSecretBytes = 32, kSecretChars = 43;  // unpadded base64url of 32 bytes
constexpr size_t kTokenChars = kPrefix.size() + kIdChars + 1 + kSecretChars;

std::array<uint8_t, 32> Sha256(std::string_view text) {
  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  // SHA-256 cannot fail on a working OpenSSL; a broken one must not let any token through.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size())
    std::abort();
  return digest;
}

// The id of a well-formed token text, or "" for any other text.
std::string_view IdOf(std::string_view text) {
  if (text.size() != kTokenChars || !text.starts_with(kPrefix)) return {};
  const std::string_view id = text.substr(kPrefix.size(), kIdChars);
  const std::string_view secret = text.substr(kPrefix.size() + kIdChars + 1);
  if (text[kPrefix.size() + kIdChars] != '_' ||
      !std::all_of(id.begin(), id.end(), [](char c) { return LowerHexValue(c) >= 0; }) ||
      !std::all_of(secret.begin(), secret.end(), IsBase64UrlChar))
    return {};
  return id;
}

Status Invalid() { return PermissionDenied("invalid API token"); }

}  // namespace

Result<std::pair<ApiToken, std::string>> NewApiToken(std::string name) {
  STRM_RETURN_IF_ERROR(ValidateEntityName("API token", name));
  std::array<uint8_t, kIdBytes + kSecretBytes> random;
  SecureRandom(random);
  const std::span<const uint8_t> bytes(random);
  std::string text = std::string(kPrefix) + HexEncode(bytes.first(kIdBytes)) + "_" +
                     Base64UrlEncode(bytes.subspan(kIdBytes));
  OPENSSL_cleanse(random.data(), random.size());
  ApiToken token;
  token.id = text.substr(kPrefix.size(), kIdChars);
  token.name = std::move(name);
  token.digest = Sha256(text);
  token.created_at = NowMillis();
  return std::pair{std::move(token), std::move(text)};
}

Status VerifyApiToken(Catalog& catalog, std::string_view bearer) {
  const std::string_view id = IdOf(bearer);
  if (id.empty()) return Invalid();
  auto token = catalog.GetApiToken(id);
  if (!token.ok())
    return token.status().code() == StatusCode::kNotFound ? Invalid() : token.status();
  const std::array<uint8_t, 32> digest = Sha256(bearer);
  if (CRYPTO_memcmp(digest.data(), token->digest.data(), digest.size()) != 0) return Invalid();
  if (token->revoked_at)
    return PermissionDenied("API token '" + token->name + "' (" + token->id + ") was revoked");
  return Status::Ok();
}

}  // namespace strm
