#include "storage/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

// No PEM key strm uses comes near this; the bound keeps sizes within OpenSSL's int lengths.
constexpr size_t kMaxPemSize = 1 << 20;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// A passphrase callback that refuses: without it OpenSSL would prompt on the terminal for
// an encrypted key.
int NoPassphrase(char*, int, int, void*) { return -1; }

enum class PemKind { kPrivate, kPublic };

// Reads the first PEM key of `pem`. OpenSSL's error queue is cleared either way: its
// messages are not shown (they add nothing a user can act on) and must not linger for
// unrelated later calls on this thread.
EVP_PKEY* ReadPem(std::string_view pem, PemKind kind) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* k = kind == PemKind::kPrivate
                    ? PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr)
                    : PEM_read_bio_PUBKEY(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  return k;
}

Status CheckRsa(EVP_PKEY* k, std::string_view what) {
  if (EVP_PKEY_is_a(k, "RSA")) return Status::Ok();
  const char* type = EVP_PKEY_get0_type_name(k);
  return InvalidArgument("the " + std::string(what) + " is of type " +
                         (type != nullptr ? std::string(type) : "unknown") +
                         ", not RSA (RS256 needs an RSA key)");
}

Result<Pkey> LoadPrivateKey(std::string_view pem) {
  if (pem.size() > kMaxPemSize)
    return InvalidArgument("the private key is too large for a PEM key");
  if (pem.find("-----BEGIN ") == std::string_view::npos)
    return InvalidArgument("the private key is not PEM text (no -----BEGIN line)");
  Pkey key(ReadPem(pem, PemKind::kPrivate));
  if (key == nullptr) {
    if (pem.find("ENCRYPTED") != std::string_view::npos)
      return InvalidArgument("the private key is encrypted; strm needs an unencrypted PEM key");
    return InvalidArgument("the private key is not a valid PEM private key");
  }
  STRM_RETURN_IF_ERROR(CheckRsa(key.get(), "private key"));
  return key;
}

Result<Pkey> LoadPublicKey(std::string_view pem) {
  if (pem.size() > kMaxPemSize) return InvalidArgument("the public key is too large for a PEM key");
  if (pem.find("-----BEGIN ") == std::string_view::npos)
    return InvalidArgument("the public key is not PEM text (no -----BEGIN line)");
  Pkey key(ReadPem(pem, PemKind::kPublic));
  if (key == nullptr) key.reset(ReadPem(pem, PemKind::kPrivate));
  if (key == nullptr) return InvalidArgument("the public key is not a valid PEM public key");
  STRM_RETURN_IF_ERROR(CheckRsa(key.get(), "public key"));
  return key;
}

// A digest context set up for RS256 signing or verifying with `key`.
Result<MdCtx> Rs256Context(EVP_PKEY* key, bool sign) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx != nullptr &&
            (sign ? EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key)
                  : EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key)) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  if (!ok) {
    ERR_clear_error();
    return Internal("cannot set up RS256 with OpenSSL");
  }
  return ctx;
}

Result<std::string> Rs256Sign(EVP_PKEY* key, std::string_view signing_input) {
  STRM_ASSIGN_OR_RETURN(MdCtx ctx, Rs256Context(key, true));
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t len = 0;
  Bytes sig;
  bool ok = EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx.get(), sig.data(), &len, in, signing_input.size()) == 1;
  }
  if (!ok) {
    ERR_clear_error();
    return Internal("RS256 signing failed in OpenSSL");
  }
  sig.resize(len);
  return Base64UrlEncode(sig);
}

// `text` parsed as a JSON object, or null when it is not one.
nlohmann::json ParseObject(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json();
}

// A segment of a compact JWS, decoded to text.
Result<std::string> DecodeSegment(std::string_view segment, std::string_view what) {
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return InvalidArgument("the JWT " + std::string(what) + " is not base64url");
  return std::string(AsChars(*bytes));
}

}  // namespace

Result<std::string> SignRs256Jws(std::string_view protected_header, std::string_view payload,
                                 std::string_view private_key_pem) {
  STRM_ASSIGN_OR_RETURN(Pkey key, LoadPrivateKey(private_key_pem));
  std::string jws =
      Base64UrlEncode(AsBytes(protected_header)) + '.' + Base64UrlEncode(AsBytes(payload));
  STRM_ASSIGN_OR_RETURN(std::string sig, Rs256Sign(key.get(), jws));
  return jws + '.' + sig;
}

Result<std::string> MakeServiceAccountJwt(std::string_view client_email,
                                          std::string_view private_key_pem,
                                          std::string_view token_uri, std::string_view scope,
                                          std::chrono::sys_seconds now,
                                          std::string_view private_key_id) {
  if (client_email.empty()) return InvalidArgument("service-account JWT: client_email is empty");
  if (token_uri.empty()) return InvalidArgument("service-account JWT: token_uri is empty");
  if (scope.empty()) return InvalidArgument("service-account JWT: the scope is empty");
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!private_key_id.empty()) header["kid"] = private_key_id;
  const int64_t iat = now.time_since_epoch().count();
  nlohmann::json claims = {{"iss", client_email},
                           {"scope", scope},
                           {"aud", token_uri},
                           {"iat", iat},
                           {"exp", iat + kServiceAccountJwtSeconds}};
  std::string header_text, claims_text;
  try {
    header_text = header.dump();  // strict: throws on invalid UTF-8
    claims_text = claims.dump();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument(
        "service-account JWT: client_email, token_uri, scope or private_key_id is not UTF-8");
  }
  return SignRs256Jws(header_text, claims_text, private_key_pem);
}

Result<VerifiedJwt> VerifyRs256Jwt(std::string_view jwt, std::string_view public_key_pem) {
  STRM_ASSIGN_OR_RETURN(Pkey key, LoadPublicKey(public_key_pem));
  const size_t dot1 = jwt.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos)
    return InvalidArgument("the JWT does not have three dot-separated parts");
  VerifiedJwt out;
  STRM_ASSIGN_OR_RETURN(out.header, DecodeSegment(jwt.substr(0, dot1), "header"));
  STRM_ASSIGN_OR_RETURN(out.claims,
                        DecodeSegment(jwt.substr(dot1 + 1, dot2 - dot1 - 1), "payload"));
  STRM_ASSIGN_OR_RETURN(Bytes sig, Base64UrlDecode(jwt.substr(dot2 + 1)));

  const nlohmann::json header = ParseObject(out.header);
  if (header.is_null()) return InvalidArgument("the JWT header is not a JSON object");
  const auto alg = header.find("alg");
  if (alg == header.end() || *alg != "RS256")
    return InvalidArgument("the JWT is not signed with RS256 (header \"alg\")");
  if (header.contains("crit"))
    return InvalidArgument(
        "the JWT has critical header extensions (\"crit\"), which strm does not support");
  if (ParseObject(out.claims).is_null())
    return InvalidArgument("the JWT payload is not a JSON object");

  STRM_ASSIGN_OR_RETURN(MdCtx ctx, Rs256Context(key.get(), false));
  const std::string_view signing_input = jwt.substr(0, dot2);
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()),
                            signing_input.size());
  ERR_clear_error();
  if (rc != 1) return PermissionDenied("the JWT signature does not verify");
  return out;
}

Status CheckRsaPrivateKeyPem(std::string_view pem) { return LoadPrivateKey(pem).status(); }

}  // namespace strm
