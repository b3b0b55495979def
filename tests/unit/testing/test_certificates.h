// Test certificates for the storage tests' TLS servers: a private CA and server certificates
// for 127.0.0.1 and localhost, made in process with OpenSSL's C API (no openssl binary, no
// files checked in that could expire).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

namespace strm {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

// The bytes written to a memory BIO (PEM text, say); frees the BIO.
inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// Adds the extension `nid` = `value` (OpenSSL's config syntax) to `cert`; false if OpenSSL
// cannot make it.
inline bool AddCertExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return true;
}

// A certificate for `key` named `cn`, valid from an hour ago for a day, signed by `issuer`
// with `issuer_key` (self-signed when both are null). A CA certificate may sign certificates;
// any other is a TLS server certificate for IP 127.0.0.1 and DNS localhost. Each has a serial
// number of its own in the process. Null if OpenSSL fails.
inline Cert MakeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  static std::atomic<long> serial{1};
  Cert cert(X509_new());
  X509* x = cert.get();
  if (x == nullptr) return nullptr;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  bool ok = true;
  if (ca) {
    ok = AddCertExtension(x, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddCertExtension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         AddCertExtension(x, signer, NID_subject_key_identifier, "hash");
  } else {
    ok = AddCertExtension(x, signer, NID_basic_constraints, "CA:FALSE") &&
         AddCertExtension(x, signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
         AddCertExtension(x, signer, NID_ext_key_usage, "serverAuth");
  }
  if (!ok || X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0)
    return nullptr;
  return cert;
}

// Writes `cert` and/or `key` (either may be null) as PEM to `path`; false on failure.
inline bool WritePem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  if (bio == nullptr) return false;
  bool ok = true;
  if (cert != nullptr) ok = PEM_write_bio_X509(bio, cert) == 1;
  if (key != nullptr)
    ok = ok && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  BIO_free(bio);
  return ok;
}

}  // namespace strm
