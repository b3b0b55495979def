#include "jobs/block_transform.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"
#include "formats/charset.h"
#include "formats/csv_writer.h"

namespace strm {
namespace {

constexpr int64_t kMillisPerDay = 86400000;
// Distinct consent-field values remembered between blocks; past that the memo starts over.
constexpr size_t kMaxConsents = 4096;
constexpr size_t kScannedConsents = 8;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

size_t DedupSlot(const KeyId& id, size_t mask) {
  return static_cast<size_t>(id.h2 ^ static_cast<uint64_t>(id.day) * 0x9e3779b97f4a7c15ULL) & mask;
}

}  // namespace

BlockTransformer::BlockTransformer(const JobPlan* plan, KeyCache* keys, OnError on_error,
                                   uint64_t key_row_base)
    : plan_(plan),
      keys_(keys),
      key_row_base_(key_row_base),
      on_error_(on_error),
      timestamp_(*plan->timestamp) {
  for (const DerivedPlan& d : plan->derived) maskers_.push_back(d.masker);
  for (const FieldValidation& v : plan->validations)
    regexes_.push_back(std::make_unique<RE2>(v.regex->pattern(), v.regex->options()));
  meta_prefix_ = ",";
  AppendCsvField(meta_prefix_, plan->contract_ref);
  meta_prefix_ += ",0,";
  cipher_at_.resize(plan->columns.size());
}

void BlockTransformer::EncryptGroup(const size_t* rows, size_t n) {
  group_values_.clear();
  size_t raw_size = 0;
  size_t first[RowEncryptor::kRowsAtOnce + 1];
  for (size_t k = 0; k < n; ++k) {
    first[k] = group_values_.size();
    auto fields = records_[rows[k]];
    for (const OutputColumn& col : plan_->columns) {
      std::string_view v = fields[col.input];
      if (col.pii_level < 0 || v.empty()) continue;  // empty values stay empty
      group_values_.push_back(v);
      raw_size += DeterministicAead::kOverhead + v.size();
    }
  }
  first[n] = group_values_.size();
  group_raw_.resize(raw_size);
  group_cipher_.resize(group_values_.size());
  for (size_t i = 0, at = 0; i < group_values_.size(); ++i) {
    group_cipher_[i] = group_raw_.data() + at;
    at += DeterministicAead::kOverhead + group_values_[i].size();
  }
  group_rows_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const size_t count = first[k + 1] - first[k];
    group_rows_[k] = {&entries_[rows_[rows[k]].key]->keyset,
                      std::span<const std::string_view>(group_values_).subspan(first[k], count),
                      group_cipher_.data() + first[k]};
  }
  encryptor_.Encrypt(group_rows_);
}

Result<uint32_t> BlockTransformer::ConsentOf(std::string_view value) {
  // Rows share a handful of consent values: extract and format each once. The first few
  // distinct values are found by a scan, without hashing or building a string.
  for (const auto& [known, index] : recent_consents_)
    if (known.size() == value.size() && SameBytes(known.data(), value.data(), value.size()))
      return index;
  if (auto it = consent_index_.find(std::string(value)); it != consent_index_.end())
    return it->second;
  STRM_ASSIGN_OR_RETURN(ConsentLevels levels, plan_->consent.Extract(value));
  ConsentInfo info;
  AppendCsvField(info.csv, FormatConsentLevels(levels));
  for (const DerivedPlan& d : plan_->derived) info.derived.push_back(d.purpose.AllowsRow(levels));
  consents_.push_back(std::move(info));
  const auto index = static_cast<uint32_t>(consents_.size() - 1);
  consent_index_.emplace(value, index);
  if (recent_consents_.size() < kScannedConsents) recent_consents_.emplace_back(value, index);
  return index;
}

Status BlockTransformer::CheckRow(std::span<const std::string_view> fields, uint64_t row_number,
                                  bool check_utf8, RowState& row) {
  // Only a failing row pays for its message.
  auto where = [&] {
    return " in row " + std::to_string(row_number) + " of " + plan_->source_name;
  };
  if (fields.size() != plan_->input_fields)
    return InvalidArgument("Wrong number of fields" + where() + ": " +
                           std::to_string(fields.size()) + " instead of " +
                           std::to_string(plan_->input_fields));
  if (check_utf8)
    for (std::string_view f : fields)
      if (!IsValidUtf8(f)) return InvalidArgument("Invalid UTF-8" + where());
  std::string_view ts = fields[plan_->timestamp_input];
  auto millis = timestamp_.ParseEpochMillis(ts);
  if (!millis.ok() && plan_->timestamp_personal)
    return InvalidArgument("Invalid timestamp" + where() +
                           " (personal data, not shown): " + millis.status().message());
  if (!millis.ok())
    return InvalidArgument("Invalid timestamp '" + std::string(ts) + "'" + where() + ": " +
                           millis.status().message());
  row.timestamp = *millis;
  auto consent = ConsentOf(plan_->consent_input ? fields[*plan_->consent_input] : "");
  if (!consent.ok())
    return InvalidArgument("Invalid consent" + where() + ": " + consent.status().message());
  row.consent = *consent;
  for (size_t i = 0; i < plan_->validations.size(); ++i) {
    const FieldValidation& v = plan_->validations[i];
    std::string_view value = fields[v.input];
    // Empty values are absent values: only present values must match.
    if (value.empty()) continue;
    std::optional<bool> simple;
    if (v.simple) simple = v.simple->Match(value);
    if (simple ? !*simple : !RE2::FullMatch(value, *regexes_[i]))
      return InvalidArgument("Validation failed" + where() + ": field '" + v.field +
                             "' does not match " + v.regex->pattern());
  }
  return Status::Ok();
}

void BlockTransformer::Reject(BlockOutput& out, uint64_t row_number,
                              std::span<const std::string_view> fields, const std::string& reason) {
  std::string record;
  AppendCsvRecord(record, fields);
  record.pop_back();  // the record as one field, without its newline
  std::string number = std::to_string(row_number);
  std::string_view cols[] = {number, reason, record};
  AppendCsvRecord(out.rejected, cols);
  ++out.rejected_rows;
}

Status BlockTransformer::ResolveKeys(const CsvBlock& block, size_t skip, BlockOutput& out) {
  const size_t n = records_.size();
  distinct_.clear();
  size_t cap = 64;
  while (cap < 2 * n) cap <<= 1;
  dedup_.assign(cap, 0);
  const size_t mask = cap - 1;
  for (size_t i = skip; i < n; ++i) {
    if (!rows_[i].ok) continue;
    std::string_view value = records_[i][plan_->key_input];
    const KeyId id = keys_->Identify(value, FloorDiv(rows_[i].timestamp, kMillisPerDay));
    for (size_t s = DedupSlot(id, mask);; s = (s + 1) & mask) {
      if (dedup_[s] == 0) {
        // Its first row here: marked used.
        distinct_.push_back({id, value, key_row_base_ + block.first_row + i});
        dedup_[s] = static_cast<uint32_t>(distinct_.size());
        rows_[i].key = dedup_[s] - 1;
        break;
      }
      if (distinct_[dedup_[s] - 1].id == id) {
        rows_[i].key = dedup_[s] - 1;
        break;
      }
    }
  }
  entries_.assign(distinct_.size(), nullptr);
  STRM_RETURN_IF_ERROR(keys_->Resolve(distinct_, entries_));
  // The keys output's lines of the keys first used here, as far as this block can tell
  // (distinct_ is in the order of rows).
  for (size_t j = 0; j < distinct_.size(); ++j) {
    const KeyEntry* e = entries_[j];
    if (e->first_row.load(std::memory_order_relaxed) != distinct_[j].row) continue;
    keys_->AppendKeysCsvLine(*e, out.keys);
    out.key_lines.push_back({e, distinct_[j].row, out.keys.size()});
  }
  return Status::Ok();
}

void BlockTransformer::WriteRow(std::span<const std::string_view> fields, const RowState& row,
                                uint8_t* const* cipher, BlockOutput& out) {
  const KeyEntry* key = entries_[row.key];
  const bool plain = records_.plain();
  const ConsentInfo& consent = consents_[row.consent];
  auto put = [](char* p, std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  };
  const size_t meta_size = meta_prefix_.size() + DecimalMemo::kMaxSize + 1 +
                           KeyEntry::kKeyLinkSize + 2 + consent.csv.size() + 1;
  auto write_meta = [&](char* p) {
    p = put(p, meta_prefix_);
    p = timestamp_text_.Write(row.timestamp, p);  // at the cursor: no copy to stall on
    *p++ = ',';
    p = key->WriteKeyLink(p);  // at the cursor too
    *p++ = ',';
    *p++ = ',';
    p = put(p, consent.csv);
    *p++ = '\n';
    return p;
  };

  // `cipher`: the row's ciphertexts, made with its group's (EncryptGroup).
  const size_t cols = plan_->columns.size();
  size_t bound = meta_size + cols;
  for (const OutputColumn& col : plan_->columns) {
    const size_t n = fields[col.input].size();
    bound += col.pii_level >= 0 && n > 0 ? Base64Size(DeterministicAead::kOverhead + n)
                                         : MaxCsvFieldSize(n);
  }

  // One room check for the whole record, then a raw cursor.
  char* const enc_begin = out.encrypted.Ensure(bound);
  char* p = enc_begin;
  for (size_t c = 0, k = 0; c < cols; ++c) {
    const OutputColumn& col = plan_->columns[c];
    std::string_view v = fields[col.input];
    if (c > 0) *p++ = ',';
    if (col.pii_level >= 0 && !v.empty()) {
      char* begin = p;
      p = WriteBase64({cipher[k++], DeterministicAead::kOverhead + v.size()}, p);  // no quotes
      cipher_at_[c] = {static_cast<size_t>(begin - enc_begin), static_cast<size_t>(p - begin)};
    } else {
      p = plain ? WritePlainCsvField(p, v) : WriteCsvField(p, v);
    }
  }
  p = write_meta(p);
  out.encrypted.Commit(p);
  const char* enc = enc_begin;  // still valid: nothing else writes to `encrypted` meanwhile
  ++out.rows;

  for (size_t d = 0; d < plan_->derived.size(); ++d) {
    if (!consent.derived[d]) continue;
    const DerivedPlan& dp = plan_->derived[d];
    // A field is at most its ciphertext, its quoted self, or a mask.
    size_t room = meta_size + cols;
    for (size_t c = 0; c < cols; ++c) {
      const OutputColumn& col = plan_->columns[c];
      const size_t n = fields[col.input].size();
      const size_t cipher = col.pii_level >= 0 && n > 0 ? cipher_at_[c].second : 0;
      room += std::max({cipher, MaxCsvFieldSize(n), Masker::kMaxMaskSize});
    }
    char* q = out.derived[d].Ensure(room);
    for (size_t c = 0; c < cols; ++c) {
      const OutputColumn& col = plan_->columns[c];
      std::string_view v = fields[col.input];
      if (c > 0) *q++ = ',';
      if (col.pii_level >= 0 && !v.empty() && !dp.decrypt[c]) {
        q = put(q, {enc + cipher_at_[c].first, cipher_at_[c].second});  // masks never reveal it
      } else if (dp.mask[c] && !v.empty() && maskers_[d]) {
        q = maskers_[d]->WriteMask(v, q);  // hex: no quotes
      } else {
        q = plain ? WritePlainCsvField(q, v) : WriteCsvField(q, v);
      }
    }
    q = write_meta(q);
    out.derived[d].Commit(q);
  }
}

void BlockTransformer::Process(const CsvBlock& block, size_t skip, BlockOutput& out) {
  out.encrypted.clear();
  out.derived.resize(plan_->derived.size());
  for (OutputBuffer& d : out.derived) d.clear();
  out.rejected.clear();
  out.keys.clear();
  out.key_lines.clear();
  out.rows = out.rejected_rows = 0;
  out.error = Status::Ok();
  out.input_bytes = block.data.size();
  // Encrypted rows are about twice their input: grow once, not by doubling.
  if (out.encrypted.capacity() < 2 * block.data.size())
    out.encrypted.reserve(5 * block.data.size() / 2);
  if (Status s = records_.Parse(block, /*validate_utf8=*/false); !s.ok()) {
    out.error = Status(s.code(), Capitalized(s.message()) + " of " + plan_->source_name);
    return;
  }
  // One scan of the block (none if the parse saw only ASCII); fields are checked one by one
  // only in a block with a bad byte.
  const bool check_utf8 =
      !records_.ascii() && FindInvalidUtf8(block.data) != std::string_view::npos;
  if (consents_.size() > kMaxConsents) {
    consents_.clear();
    consent_index_.clear();
    recent_consents_.clear();
  }
  const size_t n = records_.size();
  rows_.assign(n, RowState{});

  // Pass 1: check every row.
  for (size_t i = skip; i < n; ++i) {
    auto fields = records_[i];
    uint64_t row_number = block.first_row + i;  // record 0 is the header
    Status s = CheckRow(fields, row_number, check_utf8, rows_[i]);
    if (!s.ok()) {
      if (on_error_ == OnError::kFail) {
        out.error = s;
        return;
      }
      Reject(out, row_number, fields, s.message());
      continue;
    }
    rows_[i].ok = true;
  }
  // The keys of all good rows at once, then pass 2: encrypt and derive.
  if (Status s = ResolveKeys(block, skip, out); !s.ok()) {
    out.error = s.WithContext("Cannot get encryption keys");
    return;
  }
  // Rows go in groups of RowEncryptor::kRowsAtOnce good rows: their PII values are encrypted
  // together, then the rows are written. A row's key entry is a cache miss (keys are
  // scattered over the whole cache): the next group's entries are fetched meanwhile.
  constexpr size_t kGroup = RowEncryptor::kRowsAtOnce;
  size_t ahead = skip;  // rows below this have had their entries prefetched
  auto prefetch_to = [&](size_t end) {
    for (; ahead < std::min(end, n); ++ahead) {
      if (!rows_[ahead].ok) continue;
      entries_[rows_[ahead].key]->Prefetch();
      // The record too: the block's outputs written since pass 1 have pushed it out of L2.
      auto fields = records_[ahead];
      const char* from = fields.front().data();
      const char* to = fields.back().data() + fields.back().size();
      for (const char* p = from; p < to; p += 64) __builtin_prefetch(p);
    }
  };
  prefetch_to(skip + 2 * kGroup);
  for (size_t i = skip; i < n;) {
    size_t group[kGroup], g = 0;
    for (; i < n && g < kGroup; ++i)
      if (rows_[i].ok) group[g++] = i;
    prefetch_to(i + 2 * kGroup);
    if (g == 0) break;
    EncryptGroup(group, g);
    for (size_t k = 0; k < g; ++k)
      WriteRow(records_[group[k]], rows_[group[k]], group_rows_[k].out, out);
  }
}

}  // namespace strm
