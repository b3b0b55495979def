#include "jobs/block_transform.h"

#include <cstring>

#include "formats/charset.h"
#include "formats/csv_writer.h"

namespace strm {
namespace {

constexpr size_t kMaxLocalKeys = 1 << 16;  // per-thread key index entries kept between blocks
constexpr int64_t kMillisPerDay = 86400000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

BlockTransformer::BlockTransformer(const JobPlan* plan, KeyCache* keys, OnError on_error)
    : plan_(plan), keys_(keys), on_error_(on_error), timestamp_(*plan->timestamp) {
  for (const DerivedPlan& d : plan->derived) maskers_.push_back(d.masker);
}

DeterministicAead& BlockTransformer::CipherFor(const KeyEntry* entry) {
  // Direct-mapped on the entry's address: rows of one subject and day usually come close
  // together, and a miss costs one rekey, not a new context.
  CipherSlot& slot =
      ciphers_[(reinterpret_cast<uintptr_t>(entry) / alignof(KeyEntry)) % kCipherSlots];
  if (slot.owner != entry) {
    if (slot.aead) {
      slot.aead->Rekey(entry->key.keyset);
    } else {
      slot.aead.emplace(entry->key.keyset);
    }
    slot.owner = entry;
  }
  return *slot.aead;
}

Status BlockTransformer::CheckRow(std::span<const std::string_view> fields, uint64_t row_number,
                                  RowState& row) {
  // Only a failing row pays for its message.
  auto where = [&] {
    return " in row " + std::to_string(row_number) + " of " + plan_->source_name;
  };
  if (fields.size() != plan_->input_fields)
    return InvalidArgument("Wrong number of fields" + where() + ": " +
                           std::to_string(fields.size()) + " instead of " +
                           std::to_string(plan_->input_fields));
  for (std::string_view f : fields)
    if (!IsValidUtf8(f)) return InvalidArgument("Invalid UTF-8" + where());
  std::string_view ts = fields[plan_->timestamp_input];
  auto millis = timestamp_.ParseEpochMillis(ts);
  if (!millis.ok())
    return InvalidArgument("Invalid timestamp '" + std::string(ts) + "'" + where() + ": " +
                           millis.status().message());
  row.timestamp = *millis;
  auto consent = plan_->consent.Extract(plan_->consent_input ? fields[*plan_->consent_input] : "");
  if (!consent.ok())
    return InvalidArgument("Invalid consent" + where() + ": " + consent.status().message());
  row.consent = std::move(consent).value();
  for (const FieldValidation& v : plan_->validations) {
    std::string_view value = fields[v.input];
    // Empty values are absent values: only present values must match.
    if (!value.empty() && !RE2::FullMatch(value, *v.regex))
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

BlockOutput BlockTransformer::Process(const CsvBlock& block, size_t skip) {
  BlockOutput out;
  out.derived.resize(plan_->derived.size());
  out.input_bytes = block.data.size();
  if (Status s = records_.Parse(block, /*validate_utf8=*/false); !s.ok()) {
    out.error = Status(s.code(), Capitalized(s.message()) + " of " + plan_->source_name);
    return out;
  }
  const size_t n = records_.size();
  rows_.assign(n, RowState{});

  // Pass 1: check every row and collect the keys it needs.
  std::vector<KeyRequest> missing;
  std::vector<size_t> missing_rows;
  block_keys_.clear();
  std::unordered_map<std::string, size_t> block_key_index;
  for (size_t i = skip; i < n; ++i) {
    auto fields = records_[i];
    uint64_t row_number = block.first_row + i;  // record 0 is the header
    Status s = CheckRow(fields, row_number, rows_[i]);
    if (!s.ok()) {
      if (on_error_ == OnError::kFail) {
        out.error = s;
        return out;
      }
      Reject(out, row_number, fields, s.message());
      continue;
    }
    rows_[i].ok = true;
    int64_t day = FloorDiv(rows_[i].timestamp, kMillisPerDay);
    KeyCache::MakeId(fields[plan_->key_input], day, id_);
    auto [bit, fresh] = block_key_index.try_emplace(id_, block_keys_.size());
    rows_[i].key = bit->second;
    if (!fresh) continue;
    auto lit = local_keys_.find(id_);
    block_keys_.push_back(lit == local_keys_.end() ? nullptr : lit->second);
    if (lit == local_keys_.end()) {
      missing.push_back({std::string(fields[plan_->key_input]), day});
      missing_rows.push_back(bit->second);
    }
  }
  if (!missing.empty()) {
    if (local_keys_.size() + missing.size() > kMaxLocalKeys) {
      // Keep memory bounded: forget this thread's index (the shared cache keeps the keys).
      for (auto*& k : block_keys_) k = nullptr;
      local_keys_.clear();
      missing.clear();
      missing_rows.clear();
      for (auto& [id, index] : block_key_index) {
        int64_t day;
        std::memcpy(&day, id.data(), sizeof day);
        missing.push_back({id.substr(sizeof day), day});
        missing_rows.push_back(index);
      }
    }
    auto entries = keys_->Resolve(missing);
    if (!entries.ok()) {
      out.error = entries.status().WithContext("Cannot get encryption keys");
      return out;
    }
    for (size_t j = 0; j < missing.size(); ++j) {
      KeyCache::MakeId(missing[j].value, missing[j].day, id_);
      local_keys_[id_] = (*entries)[j];
      block_keys_[missing_rows[j]] = (*entries)[j];
    }
  }

  // Pass 2: encrypt and derive.
  const size_t cols = plan_->columns.size();
  std::vector<size_t> cipher_end(cols);
  for (size_t i = skip; i < n; ++i) {
    if (!rows_[i].ok) continue;
    auto fields = records_[i];
    RowState& row = rows_[i];
    KeyEntry* key = block_keys_[row.key];
    key->MarkUsed(block.first_row + i);
    DeterministicAead& aead = CipherFor(key);
    ciphertexts_.clear();
    for (size_t c = 0; c < cols; ++c) {
      const OutputColumn& col = plan_->columns[c];
      std::string_view v = fields[col.input];
      if (col.pii_level >= 0 && !v.empty()) aead.EncryptToBase64(v, ciphertexts_);
      cipher_end[c] = ciphertexts_.size();
    }
    auto cipher = [&](size_t c) {
      size_t begin = c == 0 ? 0 : cipher_end[c - 1];
      return std::string_view(ciphertexts_).substr(begin, cipher_end[c] - begin);
    };
    number_ = std::to_string(row.timestamp);
    std::string consent = FormatConsentLevels(row.consent);
    auto append_meta = [&](std::vector<std::string_view>& f) {
      f.push_back(plan_->contract_ref);
      f.push_back("0");
      f.push_back(number_);
      f.push_back(key->key.key_link);
      f.push_back("");
      f.push_back(consent);
    };

    out_fields_.clear();
    for (size_t c = 0; c < cols; ++c) {
      const OutputColumn& col = plan_->columns[c];
      out_fields_.push_back(col.pii_level >= 0 && !fields[col.input].empty() ? cipher(c)
                                                                             : fields[col.input]);
    }
    append_meta(out_fields_);
    AppendCsvRecord(out.encrypted, out_fields_);
    ++out.rows;

    for (size_t d = 0; d < plan_->derived.size(); ++d) {
      const DerivedPlan& dp = plan_->derived[d];
      if (!dp.purpose.AllowsRow(row.consent)) continue;
      std::vector<std::string> masks;  // stable storage for this row's masks
      masks.reserve(cols);
      out_fields_.clear();
      for (size_t c = 0; c < cols; ++c) {
        const OutputColumn& col = plan_->columns[c];
        std::string_view v = fields[col.input];
        bool encrypted = col.pii_level >= 0 && !v.empty() && !dp.decrypt[c];
        if (encrypted) {
          out_fields_.push_back(cipher(c));  // masking never reveals what consent hides
        } else if (dp.mask[c] && !v.empty() && maskers_[d]) {
          masks.push_back(maskers_[d]->Mask(v));
          out_fields_.push_back(masks.back());
        } else {
          out_fields_.push_back(v);
        }
      }
      append_meta(out_fields_);
      AppendCsvRecord(out.derived[d], out_fields_);
    }
  }
  return out;
}

}  // namespace strm
