#include "privacy/tink_keyset.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

namespace strm {
namespace {

constexpr std::string_view kTypeUrl = "type.googleapis.com/google.crypto.tink.AesSivKey";
constexpr uint8_t kTinkPrefix = 0x01;
constexpr size_t kPrefixSize = 5;

Status KeysetError(std::string_view what) {
  return InvalidArgument("invalid Tink keyset: " + std::string(what));
}

Status CiphertextError(std::string_view what) {
  return InvalidArgument("invalid ciphertext: " + std::string(what));
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Key ids are unsigned 32-bit, but older Tink versions wrote them as signed ints.
std::optional<uint32_t> KeyIdOf(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(v);
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(static_cast<int32_t>(v));
  }
  return std::nullopt;
}

// The member `name` of `obj` if it is a string.
std::optional<std::string> StringOf(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool ReadVarint(std::span<const uint8_t> b, size_t& i, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && i < b.size(); shift += 7) {
    uint8_t byte = b[i++];
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// The key_value of a serialized AesSivKey {uint32 version = 1; bytes key_value = 2;}.
Result<std::array<uint8_t, 64>> ParseAesSivKey(std::span<const uint8_t> b) {
  const Status malformed = KeysetError("key value is not a valid AesSivKey protobuf");
  std::optional<std::span<const uint8_t>> key;
  size_t i = 0;
  while (i < b.size()) {
    uint64_t tag = 0, v = 0;
    if (!ReadVarint(b, i, tag) || !ReadVarint(b, i, v)) return malformed;
    if (tag == 0x08) {  // field 1, varint: version
      if (v != 0) return KeysetError("unsupported AesSivKey version " + std::to_string(v));
    } else if (tag == 0x12) {  // field 2, length-delimited: key_value
      if (v > b.size() - i) return malformed;
      key = b.subspan(i, v);
      i += v;
    } else {
      return malformed;
    }
  }
  if (!key) return KeysetError("AesSivKey has no key value");
  if (key->size() != 64) {
    return KeysetError("AES-SIV key is " + std::to_string(key->size()) +
                       " bytes, expected 64 (AES256_SIV)");
  }
  std::array<uint8_t, 64> out;
  std::memcpy(out.data(), key->data(), 64);
  return out;
}

Result<TinkKeyset> ParsePrimaryKey(const nlohmann::json& key, uint32_t key_id) {
  const std::string id = std::to_string(key_id);
  auto status = StringOf(key, "status");
  if (status != "ENABLED") {
    return KeysetError("primary key " + id + " is not ENABLED (status " +
                       (status ? Quoted(*status) : "missing") + ")");
  }
  auto prefix = StringOf(key, "outputPrefixType");
  if (prefix != "TINK") {
    return KeysetError("output prefix type " + (prefix ? Quoted(*prefix) : "missing") +
                       " is not supported (only TINK)");
  }
  auto data = key.find("keyData");
  if (data == key.end() || !data->is_object()) {
    return KeysetError("\"keyData\" of primary key " + id + " is missing or not an object");
  }
  auto type_url = StringOf(*data, "typeUrl");
  if (type_url != kTypeUrl) {
    return KeysetError("key type " + (type_url ? Quoted(*type_url) : "missing") + " is not " +
                       std::string(kTypeUrl));
  }
  if (data->contains("keyMaterialType")) {
    auto material = StringOf(*data, "keyMaterialType");
    if (material != "SYMMETRIC") {
      return KeysetError("key material type " + (material ? Quoted(*material) : "not a string") +
                         " is not SYMMETRIC");
    }
  }
  auto value = StringOf(*data, "value");
  if (!value) return KeysetError("\"value\" of primary key " + id + " is missing or not a string");
  auto proto = Base64Decode(*value);
  if (!proto.ok()) {
    return KeysetError("key value is not valid base64 (" + proto.status().message() + ")");
  }
  auto material = ParseAesSivKey(*proto);
  OPENSSL_cleanse(proto->data(), proto->size());
  if (!material.ok()) return material.status();
  TinkKeyset keyset{key_id, *material};
  OPENSSL_cleanse(material->data(), material->size());
  return keyset;
}

AesSiv TinkSiv(const std::array<uint8_t, 64>& key) {
  auto siv = AesSiv::Create(key);
  if (!siv.ok()) std::abort();  // 64 bytes is always a valid key size
  // Tink's deterministic AEAD passes exactly one (empty) associated-data component.
  siv->PrecomputeAd({std::span<const uint8_t>()});
  return std::move(siv).value();
}

}  // namespace

TinkKeyset GenerateTinkKeyset() {
  uint8_t random[68];
  SecureRandom(random);
  TinkKeyset keyset = TinkKeysetFromRandom(random);
  OPENSSL_cleanse(random, sizeof random);
  return keyset;
}

TinkKeyset TinkKeysetFromRandom(std::span<const uint8_t, 68> random) {
  TinkKeyset keyset;
  std::memcpy(keyset.key.data(), random.data(), keyset.key.size());
  const uint8_t* id = random.data() + 64;
  // Positive 31-bit ids, as Tink makes them, so readers that parse ids as signed agree.
  keyset.key_id =
      ((uint32_t{id[0]} << 24) | (uint32_t{id[1]} << 16) | (uint32_t{id[2]} << 8) | id[3]) &
      0x7fffffff;
  if (keyset.key_id == 0) keyset.key_id = 1;
  return keyset;
}

Result<TinkKeyset> ParseTinkKeysetJson(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return KeysetError("not valid JSON");
  if (!doc.is_object()) return KeysetError("not a JSON object");
  auto primary = KeyIdOf(doc, "primaryKeyId");
  if (!primary) return KeysetError("\"primaryKeyId\" is missing or not a 32-bit integer");
  auto keys = doc.find("key");
  if (keys == doc.end() || !keys->is_array()) {
    return KeysetError("\"key\" is missing or not an array");
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    const nlohmann::json& key = (*keys)[i];
    std::optional<uint32_t> id;
    if (key.is_object()) id = KeyIdOf(key, "keyId");
    if (!id) {
      return KeysetError("\"keyId\" of key " + std::to_string(i) +
                         " is missing or not a 32-bit integer");
    }
    if (*id == *primary) return ParsePrimaryKey(key, *id);
  }
  return KeysetError("primary key id " + std::to_string(*primary) + " is not among the keys");
}

namespace {

// The keyset's JSON text around its key id (twice) and its base64 value, with `quote` for
// each '"': the JSON itself, or the JSON inside a CSV field (quotes doubled).
struct KeysetJsonParts {
  std::string open, before_value, after_value, close;
  explicit KeysetJsonParts(std::string_view quote) {
    auto q = [quote](std::string_view text) {
      std::string out;
      for (char c : text) {
        if (c == '\'') {
          out += quote;
        } else {
          out += c;
        }
      }
      return out;
    };
    open = q("{'primaryKeyId':");
    before_value = q(",'key':[{'keyData':{'typeUrl':'") + std::string(kTypeUrl) + q("','value':'");
    after_value = q("','keyMaterialType':'SYMMETRIC'},'status':'ENABLED','keyId':");
    close = q(",'outputPrefixType':'TINK'}]}");
  }
};

void AppendKeysetJson(const TinkKeyset& keyset, const KeysetJsonParts& parts, std::string& out) {
  uint8_t proto[66] = {0x12, 0x40};
  std::memcpy(proto + 2, keyset.key.data(), 64);
  char id[16];
  const size_t id_size =
      static_cast<size_t>(std::to_chars(id, id + sizeof id, keyset.key_id).ptr - id);
  out += parts.open;
  out.append(id, id_size);
  out += parts.before_value;
  AppendBase64(proto, out);
  out += parts.after_value;
  out.append(id, id_size);
  out += parts.close;
  OPENSSL_cleanse(proto, sizeof proto);
}

}  // namespace

std::string TinkKeysetToJson(const TinkKeyset& keyset) {
  static const KeysetJsonParts kJson("\"");
  std::string json;
  AppendKeysetJson(keyset, kJson, json);
  return json;
}

void AppendTinkKeysetCsvField(const TinkKeyset& keyset, std::string& out) {
  static const KeysetJsonParts kInCsv("\"\"");
  out += '"';
  AppendKeysetJson(keyset, kInCsv, out);
  out += '"';
}

DeterministicAead::DeterministicAead(const TinkKeyset& keyset)
    : DeterministicAead(keyset.key_id, TinkSiv(keyset.key)) {}

DeterministicAead DeterministicAead::Clone() const { return {key_id_, siv_.Clone()}; }

void DeterministicAead::Rekey(const TinkKeyset& keyset) {
  // Both keys are 64 bytes, so this cannot fail.
  if (!siv_.Rekey(keyset.key).ok()) std::abort();
  key_id_ = keyset.key_id;
}

namespace {

// Writes 0x01 ‖ key id ‖ SIV ‖ ciphertext (|plaintext| + 21 bytes) to `out`.
void WriteCiphertext(uint32_t key_id, const AesSiv& siv, std::string_view plaintext, uint8_t* out) {
  out[0] = kTinkPrefix;
  out[1] = static_cast<uint8_t>(key_id >> 24);
  out[2] = static_cast<uint8_t>(key_id >> 16);
  out[3] = static_cast<uint8_t>(key_id >> 8);
  out[4] = static_cast<uint8_t>(key_id);
  siv.Encrypt(AsBytes(plaintext), out + kPrefixSize);
}

}  // namespace

void DeterministicAead::EncryptToBase64(std::string_view plaintext, std::string& out) const {
  // Field values are short: encrypt on the stack and only fall back to the heap for long ones.
  constexpr size_t kStackSize = 256;
  const size_t size = kOverhead + plaintext.size();
  uint8_t stack[kStackSize];
  Bytes heap;
  uint8_t* buf = stack;
  if (size > kStackSize) {
    heap.resize(size);
    buf = heap.data();
  }
  WriteCiphertext(key_id_, siv_, plaintext, buf);
  AppendBase64({buf, size}, out);
}

Bytes DeterministicAead::Encrypt(std::string_view plaintext) const {
  Bytes out(kOverhead + plaintext.size());
  WriteCiphertext(key_id_, siv_, plaintext, out.data());
  return out;
}

void DeterministicAead::EncryptMany(std::span<const std::string_view> plaintexts,
                                    uint8_t* const* out) const {
  constexpr size_t kBatch = 16;
  std::span<const uint8_t> spans[kBatch];
  uint8_t* sivs[kBatch];
  for (size_t at = 0; at < plaintexts.size(); at += kBatch) {
    const size_t n = std::min(kBatch, plaintexts.size() - at);
    for (size_t i = 0; i < n; ++i) {
      uint8_t* o = out[at + i];
      o[0] = kTinkPrefix;
      o[1] = static_cast<uint8_t>(key_id_ >> 24);
      o[2] = static_cast<uint8_t>(key_id_ >> 16);
      o[3] = static_cast<uint8_t>(key_id_ >> 8);
      o[4] = static_cast<uint8_t>(key_id_);
      spans[i] = AsBytes(plaintexts[at + i]);
      sivs[i] = o + kPrefixSize;
    }
    siv_.EncryptMany({spans, n}, sivs);
  }
}

Result<std::string> DeterministicAead::DecryptBase64(std::string_view ciphertext_b64) const {
  auto bytes = Base64Decode(ciphertext_b64);
  if (!bytes.ok()) return CiphertextError(bytes.status().message());
  return Decrypt(*bytes);
}

Result<std::string> DeterministicAead::Decrypt(std::span<const uint8_t> ciphertext) const {
  if (ciphertext.size() < kOverhead) {
    return CiphertextError(std::to_string(ciphertext.size()) +
                           " bytes, shorter than the 21-byte minimum");
  }
  if (ciphertext[0] != kTinkPrefix) {
    return CiphertextError("prefix byte is " + HexEncode(ciphertext.first(1)) + ", not 01 (TINK)");
  }
  uint32_t id = (uint32_t{ciphertext[1]} << 24) | (uint32_t{ciphertext[2]} << 16) |
                (uint32_t{ciphertext[3]} << 8) | ciphertext[4];
  if (id != key_id_) {
    return CiphertextError("key id " + std::to_string(id) + " does not match the keyset's key id " +
                           std::to_string(key_id_));
  }
  auto plain = siv_.Decrypt(ciphertext.subspan(kPrefixSize));
  if (!plain.ok()) return CiphertextError("authentication failed");
  std::string out(AsChars(*plain));
  OPENSSL_cleanse(plain->data(), plain->size());
  return out;
}

}  // namespace strm
