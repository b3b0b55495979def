#include "catalog/secret_box.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "privacy/aes_block.h"

namespace strm {
namespace {

constexpr size_t kNonce = 12, kTag = 16;
constexpr size_t kEvpSealFrom = 1024;  // plaintext bytes from which Seal uses EVP

std::array<uint8_t, 32> Derive(std::span<const uint8_t, 32> master, std::string_view label) {
  return HmacSha256(master).Mac(label);
}

Result<std::array<uint8_t, 32>> ParseMasterKey(std::string_view text) {
  Result<Bytes> b = text.size() == 64 ? HexDecode(text) : Base64Decode(text);
  if (!b.ok() || b->size() != 32)
    return InvalidArgument("STRM_MASTER_KEY must be 64 hex digits or the base64 of 32 bytes");
  std::array<uint8_t, 32> k{};
  std::memcpy(k.data(), b->data(), 32);
  return k;
}

}  // namespace

SecretBox::SecretBox(std::span<const uint8_t, 32> master_key)
    : seal_key_(Derive(master_key, "strm secrets v1")),
      lookup_(Derive(master_key, "strm key lookup v1")) {}

struct SecretBox::Batch::Contexts {
  // Sealing: OpenSSL's GCM mode over our AES block (AES-NI where the CPU has it). Through
  // EVP, a seal cost 660 ns, most of it in the calls around 7 blocks of work; once per new
  // key of a job. The same bytes as EVP's AES-256-GCM (tested), which opens them. Longer
  // plaintexts (the key store's chunks) go through EVP, whose stitched AES-NI/CLMUL code is
  // several times faster per byte than a call per block.
  AesBlock aes;
  GCM128_CONTEXT* gcm = nullptr;
  EVP_CIPHER_CTX* seal = nullptr;
  EVP_CIPHER_CTX* open = nullptr;
  const SecretBox* box = nullptr;  // for lookup ids (its HmacSha256 is thread-safe)
  ~Contexts() {
    if (gcm != nullptr) CRYPTO_gcm128_release(gcm);  // wipes it
    EVP_CIPHER_CTX_free(seal);
    EVP_CIPHER_CTX_free(open);
  }
  static void Block(const unsigned char in[16], unsigned char out[16], const void* key) {
    static_cast<const AesBlock*>(key)->EncryptBlock(in, out);
  }
};

// Every failure here is an allocation failure or a broken OpenSSL: continuing could store
// secrets unsealed or under wrong ids, so stop.
SecretBox::Batch::Batch(const SecretBox& box) : c_(std::make_unique<Contexts>()) {
  bool ok = c_->aes.SetKey(box.seal_key_).ok();
  c_->gcm = ok ? CRYPTO_gcm128_new(&c_->aes, &Contexts::Block) : nullptr;
  c_->seal = EVP_CIPHER_CTX_new();
  c_->open = EVP_CIPHER_CTX_new();
  ok = ok && c_->gcm && c_->seal && c_->open &&
       EVP_EncryptInit_ex(c_->seal, EVP_aes_256_gcm(), nullptr, box.seal_key_.data(), nullptr) ==
           1 &&
       EVP_DecryptInit_ex(c_->open, EVP_aes_256_gcm(), nullptr, box.seal_key_.data(), nullptr) == 1;
  c_->box = &box;
  if (!ok) std::abort();
}

SecretBox::Batch::~Batch() = default;

Bytes SecretBox::Batch::Seal(std::string_view plaintext, std::string_view context,
                             std::span<const uint8_t, 12> nonce) {
  Bytes out(kNonce + plaintext.size() + kTag);
  std::memcpy(out.data(), nonce.data(), kNonce);
  if (plaintext.size() >= kEvpSealFrom) {
    EVP_CIPHER_CTX* ctx = c_->seal;
    int len = 0;
    bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, out.data()) == 1;
    ok = ok &&
         EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                           static_cast<int>(context.size())) == 1;
    ok = ok && EVP_EncryptUpdate(ctx, out.data() + kNonce, &len,
                                 reinterpret_cast<const uint8_t*>(plaintext.data()),
                                 static_cast<int>(plaintext.size())) == 1;
    ok = ok && EVP_EncryptFinal_ex(ctx, out.data() + kNonce + len, &len) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag,
                                   out.data() + kNonce + plaintext.size()) == 1;
    if (!ok) std::abort();
    return out;
  }
  GCM128_CONTEXT* gcm = c_->gcm;
  CRYPTO_gcm128_setiv(gcm, out.data(), kNonce);  // the key's state is kept
  const bool ok = CRYPTO_gcm128_aad(gcm, reinterpret_cast<const uint8_t*>(context.data()),
                                    context.size()) == 0 &&
                  CRYPTO_gcm128_encrypt(gcm, reinterpret_cast<const uint8_t*>(plaintext.data()),
                                        out.data() + kNonce, plaintext.size()) == 0;
  if (!ok) std::abort();
  CRYPTO_gcm128_tag(gcm, out.data() + kNonce + plaintext.size(), kTag);
  return out;
}

Result<std::string> SecretBox::Batch::Open(std::span<const uint8_t> sealed,
                                           std::string_view context) {
  if (sealed.size() < kNonce + kTag) return PermissionDenied("a sealed secret is truncated");
  size_t n = sealed.size() - kNonce - kTag;
  std::string out(n, '\0');
  EVP_CIPHER_CTX* ctx = c_->open;
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, sealed.data()) == 1;
  ok = ok && EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                               static_cast<int>(context.size())) == 1;
  ok = ok && EVP_DecryptUpdate(ctx, reinterpret_cast<uint8_t*>(out.data()), &len,
                               sealed.data() + kNonce, static_cast<int>(n)) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag,
                                 const_cast<uint8_t*>(sealed.data() + kNonce + n)) == 1;
  ok = ok && EVP_DecryptFinal_ex(ctx, reinterpret_cast<uint8_t*>(out.data()) + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return PermissionDenied(
        "cannot decrypt a stored secret: the master key is not the one it was sealed with, or "
        "the catalog was altered");
  }
  return out;
}

std::array<uint8_t, 16> SecretBox::Batch::LookupId(std::string_view message) {
  return c_->box->LookupId(message);
}

Bytes SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
  uint8_t nonce[kNonce];
  SecureRandom(nonce);
  return Batch(*this).Seal(plaintext, context, nonce);
}

Result<std::string> SecretBox::Open(std::span<const uint8_t> sealed,
                                    std::string_view context) const {
  return Batch(*this).Open(sealed, context);
}

std::array<uint8_t, 16> SecretBox::LookupId(std::string_view message) const {
  const std::array<uint8_t, 32> mac = lookup_.Mac(message);
  std::array<uint8_t, 16> out{};
  std::memcpy(out.data(), mac.data(), 16);
  return out;
}

Result<std::array<uint8_t, 32>> LoadOrCreateMasterKey(const std::string& home, bool may_create) {
  if (const char* env = std::getenv("STRM_MASTER_KEY"); env && *env) return ParseMasterKey(env);
  // A key kept out of $STRM_HOME (the packaged service's /etc/strm/master.key) is never made.
  const char* key_file = std::getenv("STRM_MASTER_KEY_FILE");
  const bool from_file = key_file != nullptr && *key_file != '\0';
  const std::string path = from_file ? std::string(key_file) : home + "/master.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && from_file)
    return NotFound("the master key file " + path + " (STRM_MASTER_KEY_FILE) does not exist");
  if (fd < 0 && errno == ENOENT && !may_create)
    return NotFound("the master key of the catalog in " + home +
                    " is missing: set STRM_MASTER_KEY, or put its master.key back");
  if (fd < 0 && errno == ENOENT) {
    std::array<uint8_t, 32> key{};
    SecureRandom(key);
    std::string text = HexEncode(key) + "\n";
    int w = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w >= 0) {
      bool ok = ::write(w, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                ::fsync(w) == 0;
      ::close(w);
      if (!ok) return IoError("cannot write the master key file " + path);
      return key;
    }
    if (errno != EEXIST) return IoError("cannot create " + path + ": " + std::strerror(errno));
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // another process made it first
  }
  if (fd < 0) return IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    ::close(fd);
    return PermissionDenied("the master key file " + path +
                            " is readable by others; run: chmod 600 " + path);
  }
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  auto key = ParseMasterKey(text);
  if (!key.ok()) return InvalidArgument("the master key file " + path + " is corrupt");
  return key;
}

}  // namespace strm
