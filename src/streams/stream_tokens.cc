#include "streams/stream_tokens.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "core/base64url.h"

namespace strm {
namespace {

// The header of every token; a token is checked against these bytes, so no other algorithm
// ("none" included) can be slipped in.
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string_view KindName(StreamTokenKind k) {
  return k == StreamTokenKind::kAccess ? "access" : "refresh";
}

std::array<uint8_t, 32> SigningKey(std::span<const uint8_t, 32> master_key) {
  return HmacSha256(master_key).Mac("strm stream-client tokens v1");
}

std::string Encode(std::string_view text) {
  return Base64UrlEncode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

StreamTokens::StreamTokens(std::span<const uint8_t, 32> master_key)
    : mac_(SigningKey(master_key)) {}

std::string StreamTokens::Issue(const StreamTokenClaims& c) const {
  const nlohmann::json claims = {{"typ", KindName(c.kind)}, {"stream", c.stream},
                                 {"sid", c.stream_id},      {"sub", c.client_id},
                                 {"iat", c.issued_at},      {"exp", c.expires_at}};
  std::string signing_input = Encode(kHeader) + "." + Encode(claims.dump());
  const auto mac = mac_.Mac(signing_input);
  return signing_input + "." + Base64UrlEncode(mac);
}

Result<StreamTokenClaims> StreamTokens::Verify(std::string_view token, StreamTokenKind kind,
                                               int64_t now) const {
  const auto bad = [] { return PermissionDenied("the token is not one this server issued"); };
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.substr(0, dot1) != Encode(kHeader)) return bad();
  auto sig = Base64UrlDecode(token.substr(dot2 + 1));
  if (!sig.ok() || sig->size() != 32) return bad();
  const auto mac = mac_.Mac(token.substr(0, dot2));
  if (CRYPTO_memcmp(mac.data(), sig->data(), mac.size()) != 0) return bad();
  auto payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload.ok()) return bad();
  const auto j = nlohmann::json::parse(payload->begin(), payload->end(), nullptr, false);
  StreamTokenClaims c;
  try {
    if (j.at("typ").get<std::string>() != KindName(kind))
      return PermissionDenied("the token is not " + std::string(kind == StreamTokenKind::kAccess
                                                                    ? "an access token"
                                                                    : "a refresh token"));
    c.kind = kind;
    c.stream = j.at("stream").get<std::string>();
    c.stream_id = j.at("sid").get<std::string>();
    c.client_id = j.at("sub").get<std::string>();
    c.issued_at = j.at("iat").get<int64_t>();
    c.expires_at = j.at("exp").get<int64_t>();
  } catch (const nlohmann::json::exception&) {
    return bad();  // signed by this key, so never expected: a key shared with something else
  }
  if (c.expires_at <= now) return PermissionDenied("the token has expired");
  return c;
}

}  // namespace strm
