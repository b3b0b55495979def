#include "catalog/secret_box.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace strm {
namespace {

constexpr size_t kNonce = 12, kTag = 16;

std::array<uint8_t, 32> Derive(std::span<const uint8_t, 32> master, std::string_view label) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), master.data(), 32, reinterpret_cast<const uint8_t*>(label.data()),
       label.size(), out.data(), &len);
  return out;
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

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
      lookup_key_(Derive(master_key, "strm key lookup v1")) {}

Bytes SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
  Bytes out(kNonce + plaintext.size() + kTag);
  SecureRandom(std::span(out.data(), kNonce));
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, seal_key_.data(),
                                      out.data()) == 1;
  ok = ok &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                         static_cast<int>(context.size())) == 1;
  ok = ok && EVP_EncryptUpdate(ctx.get(), out.data() + kNonce, &len,
                               reinterpret_cast<const uint8_t*>(plaintext.data()),
                               static_cast<int>(plaintext.size())) == 1;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonce + len, &len) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag,
                                 out.data() + kNonce + plaintext.size()) == 1;
  if (!ok) std::abort();  // only on allocation failure or a broken OpenSSL
  return out;
}

Result<std::string> SecretBox::Open(std::span<const uint8_t> sealed,
                                    std::string_view context) const {
  if (sealed.size() < kNonce + kTag) return PermissionDenied("a sealed secret is truncated");
  size_t n = sealed.size() - kNonce - kTag;
  std::string out(n, '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, seal_key_.data(),
                                      sealed.data()) == 1;
  ok = ok &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(context.data()),
                         static_cast<int>(context.size())) == 1;
  ok = ok && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                               sealed.data() + kNonce, static_cast<int>(n)) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag,
                                 const_cast<uint8_t*>(sealed.data() + kNonce + n)) == 1;
  ok =
      ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<uint8_t*>(out.data()) + len, &len) == 1;
  if (!ok)
    return PermissionDenied(
        "cannot decrypt a stored secret: the master key is not the one it was sealed with, or "
        "the catalog was altered");
  return out;
}

std::array<uint8_t, 16> SecretBox::LookupId(std::string_view message) const {
  uint8_t mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), lookup_key_.data(), 32, reinterpret_cast<const uint8_t*>(message.data()),
       message.size(), mac, &len);
  std::array<uint8_t, 16> out{};
  std::memcpy(out.data(), mac, 16);
  return out;
}

Result<std::array<uint8_t, 32>> LoadOrCreateMasterKey(const std::string& home) {
  if (const char* env = std::getenv("STRM_MASTER_KEY"); env && *env) return ParseMasterKey(env);
  std::string path = home + "/master.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
