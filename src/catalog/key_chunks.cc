#include "catalog/key_chunks.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>

#include "core/bytes.h"

namespace strm {
namespace {

constexpr size_t kNonce = 12, kTag = 16;

void PutBe(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}
uint64_t GetBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

void Encode(const ChunkKey& k, uint8_t* p) {
  std::memcpy(p, k.id.data(), 16);
  std::memcpy(p + 16, k.link.data(), 16);
  PutBe(p + 32, k.keyset.key_id, 4);
  std::memcpy(p + 36, k.keyset.key.data(), 64);
  PutBe(p + 100, static_cast<uint64_t>(k.expires_at), 8);
}

ChunkKey Decode(const uint8_t* p) {
  ChunkKey k;
  std::memcpy(k.id.data(), p, 16);
  std::memcpy(k.link.data(), p + 16, 16);
  k.keyset.key_id = static_cast<uint32_t>(GetBe(p + 32, 4));
  std::memcpy(k.keyset.key.data(), p + 36, 64);
  k.expires_at = static_cast<int64_t>(GetBe(p + 100, 8));
  return k;
}

// Keys in a chunk of `sealed_size` bytes, or 0 if no chunk has that size.
size_t KeysOfSealedSize(int64_t sealed_size) {
  if (sealed_size < static_cast<int64_t>(kNonce + kTag + kChunkKeyBytes)) return 0;
  const size_t body = static_cast<size_t>(sealed_size) - kNonce - kTag;
  if (body % kChunkKeyBytes != 0 || body / kChunkKeyBytes > kChunkKeys) return 0;
  return body / kChunkKeyBytes;
}

bool ById(const ChunkKey& a, const ChunkKey& b) { return a.id < b.id; }

}  // namespace

uint64_t KeyChunks::Run::keys() const {
  uint64_t n = 0;
  for (uint32_t s : sizes) n += s;
  return n;
}

KeyChunks::KeyChunks(SqliteDb* db, const SecretBox* box, std::array<uint8_t, 8> group_id)
    : db_(db), box_(box), group_id_(group_id) {}

Result<bool> KeyChunks::Open() {
  STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT max(run) FROM key_chunks WHERE group_id=?"));
  st.BindBlob(1, group_id_);
  STRM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row || st.IsNull(0)) return false;
  next_run_ = st.Int(0) + 1;
  return true;
}

std::string KeyChunks::Context(int64_t day, int64_t run, const KeyId16& first) const {
  std::string hex_group = HexEncode(group_id_), hex_first = HexEncode(first);
  for (char& c : hex_group) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : hex_first) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "key_chunk/" + hex_group + "/" + std::to_string(day) + "/" + std::to_string(run) + "/" +
         hex_first;
}

Result<std::vector<KeyChunks::Run>*> KeyChunks::Runs(int64_t day) {
  auto it = days_.find(day);
  if (it != days_.end()) return &it->second;
  STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT run, first, length(sealed) FROM key_chunks "
                                              "WHERE group_id=? AND day=? ORDER BY run, first"));
  st.BindBlob(1, group_id_).Bind(2, day);
  std::vector<Run> runs;
  for (;;) {
    STRM_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const int64_t number = st.Int(0);
    const auto first = st.Blob(1);
    const size_t keys = KeysOfSealedSize(st.Int(2));
    if (first.size() != 16 || keys == 0) return Internal("catalog: a key chunk is malformed");
    if (runs.empty() || runs.back().number != number) runs.push_back(Run{number, {}, {}});
    KeyId16 id;
    std::memcpy(id.data(), first.data(), 16);
    runs.back().firsts.push_back(id);
    runs.back().sizes.push_back(static_cast<uint32_t>(keys));
  }
  return &days_.emplace(day, std::move(runs)).first->second;
}

Result<const KeyChunks::Chunk*> KeyChunks::ReadChunk(int64_t day, int64_t run,
                                                     const KeyId16& first) {
  std::string name(32, '\0');
  std::memcpy(name.data(), &day, 8);
  std::memcpy(name.data() + 8, &run, 8);
  std::memcpy(name.data() + 16, first.data(), 16);
  if (auto it = cached_.find(name); it != cached_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return &lru_.front().second;
  }
  STRM_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT sealed FROM key_chunks WHERE group_id=? AND "
                                              "day=? AND run=? AND first=?"));
  st.BindBlob(1, group_id_).Bind(2, day).Bind(3, run).BindBlob(4, first);
  STRM_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Internal("catalog: a key chunk went missing");
  STRM_ASSIGN_OR_RETURN(std::string plain, box_->Open(st.Blob(0), Context(day, run, first)));
  Chunk chunk;
  if (plain.size() % kChunkKeyBytes != 0) return Internal("catalog: a key chunk is malformed");
  for (size_t at = 0; at < plain.size(); at += kChunkKeyBytes)
    chunk.push_back(Decode(reinterpret_cast<const uint8_t*>(plain.data()) + at));
  OPENSSL_cleanse(plain.data(), plain.size());
  if (lru_.size() == kCachedChunks) {
    std::pair<std::string, Chunk>& last = lru_.back();
    for (ChunkKey& k : last.second) OPENSSL_cleanse(k.keyset.key.data(), k.keyset.key.size());
    cached_.erase(last.first);
    lru_.pop_back();
  }
  lru_.emplace_front(name, std::move(chunk));
  cached_.emplace(std::move(name), lru_.begin());
  return &lru_.front().second;
}

Result<std::optional<ChunkKey>> KeyChunks::Find(int64_t day, const KeyId16& id) {
  STRM_ASSIGN_OR_RETURN(std::vector<Run> * runs, Runs(day));
  for (const Run& run : *runs) {
    auto after = std::upper_bound(run.firsts.begin(), run.firsts.end(), id);
    if (after == run.firsts.begin()) continue;  // below the run's first id
    STRM_ASSIGN_OR_RETURN(const Chunk* chunk, ReadChunk(day, run.number, *(after - 1)));
    ChunkKey probe;
    probe.id = id;
    auto it = std::lower_bound(chunk->begin(), chunk->end(), probe, ById);
    if (it != chunk->end() && it->id == id) return std::optional<ChunkKey>(*it);
  }
  return std::optional<ChunkKey>();
}

Status KeyChunks::Insert(int64_t day, int64_t run, std::span<const ChunkKey> keys, Run& out) {
  out = Run{run, {}, {}};
  const size_t chunks = (keys.size() + kChunkKeys - 1) / kChunkKeys;
  Bytes nonces(chunks * kNonce);
  SecureRandom(nonces);
  SecretBox::Batch box(*box_);
  STRM_ASSIGN_OR_RETURN(auto st,
                        db_->Prepare("INSERT OR ROLLBACK INTO key_chunks VALUES (?,?,?,?,?)"));
  std::string plain;
  for (size_t c = 0; c < chunks; ++c) {
    std::span<const ChunkKey> part =
        keys.subspan(c * kChunkKeys, std::min(kChunkKeys, keys.size() - c * kChunkKeys));
    plain.resize(part.size() * kChunkKeyBytes);
    for (size_t i = 0; i < part.size(); ++i)
      Encode(part[i], reinterpret_cast<uint8_t*>(plain.data()) + i * kChunkKeyBytes);
    const KeyId16& first = part.front().id;
    Bytes sealed = box.Seal(plain, Context(day, run, first),
                            std::span<const uint8_t, kNonce>(nonces.data() + c * kNonce, kNonce));
    OPENSSL_cleanse(plain.data(), plain.size());
    st.Reset();
    st.BindBlob(1, group_id_).Bind(2, day).Bind(3, run).BindBlob(4, first).BindBlob(5, sealed);
    STRM_RETURN_IF_ERROR(st.Run());
    out.firsts.push_back(first);
    out.sizes.push_back(static_cast<uint32_t>(part.size()));
  }
  return Status::Ok();
}

Status KeyChunks::WriteRun(int64_t day, std::span<const ChunkKey> keys) {
  if (keys.empty()) return Status::Ok();
  STRM_ASSIGN_OR_RETURN(std::vector<Run> * runs, Runs(day));
  Run run;
  STRM_RETURN_IF_ERROR(Insert(day, next_run_++, keys, run));
  runs->push_back(std::move(run));
  return MergeSizeClasses(day, *runs);
}

Status KeyChunks::MergeSizeClasses(int64_t day, std::vector<Run>& runs) {
  auto size_class = [](const Run& r) { return std::bit_width(r.firsts.size()) / 2; };
  for (;;) {
    std::map<int, std::vector<size_t>> classes;
    for (size_t i = 0; i < runs.size(); ++i) classes[size_class(runs[i])].push_back(i);
    auto full = std::find_if(classes.begin(), classes.end(),
                             [](const auto& c) { return c.second.size() >= 4; });
    if (full == classes.end()) return Status::Ok();
    std::vector<ChunkKey> merged;
    for (size_t i : full->second) {
      const Run& r = runs[i];
      for (const KeyId16& first : r.firsts) {
        STRM_ASSIGN_OR_RETURN(const Chunk* chunk, ReadChunk(day, r.number, first));
        merged.insert(merged.end(), chunk->begin(), chunk->end());
      }
    }
    std::sort(merged.begin(), merged.end(), ById);
    Run joined;
    Status s = Insert(day, next_run_++, merged, joined);
    for (ChunkKey& k : merged) OPENSSL_cleanse(k.keyset.key.data(), k.keyset.key.size());
    STRM_RETURN_IF_ERROR(s);
    STRM_ASSIGN_OR_RETURN(
        auto drop, db_->Prepare("DELETE FROM key_chunks WHERE group_id=? AND day=? AND run=?"));
    std::vector<Run> kept;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (std::find(full->second.begin(), full->second.end(), i) == full->second.end()) {
        kept.push_back(std::move(runs[i]));
        continue;
      }
      drop.Reset();
      drop.BindBlob(1, group_id_).Bind(2, day).Bind(3, runs[i].number);
      STRM_RETURN_IF_ERROR(drop.Run());
    }
    kept.push_back(std::move(joined));
    runs = std::move(kept);
  }
}

}  // namespace strm
