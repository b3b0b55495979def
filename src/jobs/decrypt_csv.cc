#include "jobs/decrypt_csv.h"

#include <map>
#include <optional>

#include "formats/csv_reader.h"
#include "formats/csv_writer.h"
#include "privacy/tink_keyset.h"

namespace strm {
namespace {

Result<std::map<std::string, DeterministicAead>> LoadKeys(std::string_view keys_csv) {
  STRM_ASSIGN_OR_RETURN(auto rows, ParseCsvDocument(keys_csv));
  if (rows.empty() || rows[0].size() < 2 || rows[0][0] != "keyLink" ||
      rows[0][1] != "encryptionKey")
    return InvalidArgument("the keys file must start with the header keyLink,encryptionKey,...");
  std::map<std::string, DeterministicAead> keys;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() < 2)
      return InvalidArgument("row " + std::to_string(i) + " of the keys file has too few fields");
    auto keyset = ParseTinkKeysetJson(rows[i][1]);
    if (!keyset.ok())
      return keyset.status().WithContext("row " + std::to_string(i) + " of the keys file");
    keys.emplace(rows[i][0], DeterministicAead(*keyset));
  }
  return keys;
}

}  // namespace

Status DecryptCsv(InputStream& encrypted, std::string_view keys_csv, const DataContract& contract,
                  std::string_view source_name, OutputStream& out) {
  STRM_ASSIGN_OR_RETURN(auto keys, LoadKeys(keys_csv));
  const std::string src(source_name);
  CsvBlockReader reader(&encrypted);
  CsvRecords records;
  std::vector<bool> pii;
  std::optional<size_t> link_col;
  std::vector<std::string> plain;
  std::vector<std::string_view> fields;
  std::string text;
  for (bool first = true;; first = false) {
    STRM_ASSIGN_OR_RETURN(CsvBlock block, reader.Next());
    if (block.data.empty()) {
      if (first) return InvalidArgument(src + " is empty");
      break;
    }
    STRM_RETURN_IF_ERROR(records.Parse(block, true).WithContext(src));
    size_t start = 0;
    if (first) {
      auto header = records[0];
      for (size_t c = 0; c < header.size(); ++c) {
        std::string path(header[c]);
        for (char& ch : path)
          if (ch == '.') ch = '/';
        pii.push_back(contract.pii_fields.count(path) > 0);
        if (header[c] == "strmMeta.keyLink") link_col = c;
      }
      if (!link_col) return InvalidArgument(src + " has no strmMeta.keyLink column");
      AppendCsvRecord(text, header);
      start = 1;
    }
    for (size_t i = start; i < records.size(); ++i) {
      auto row = records[i];
      std::string where = " in row " + std::to_string(block.first_row + i) + " of " + src;
      if (row.size() != pii.size()) return InvalidArgument("Wrong number of fields" + where);
      auto key = keys.find(std::string(row[*link_col]));
      if (key == keys.end())
        return InvalidArgument("keyLink " + std::string(row[*link_col]) +
                               " is not in the keys file" + where);
      plain.assign(row.size(), "");
      fields.clear();
      for (size_t c = 0; c < row.size(); ++c) {
        if (pii[c] && !row[c].empty()) {
          auto p = key->second.DecryptBase64(row[c]);
          if (!p.ok()) return p.status().WithContext("Cannot decrypt a field" + where);
          plain[c] = std::move(p).value();
          fields.push_back(plain[c]);
        } else {
          fields.push_back(row[c]);
        }
      }
      AppendCsvRecord(text, fields);
    }
    STRM_RETURN_IF_ERROR(out.Write(text));
    text.clear();
  }
  return out.Commit();
}

}  // namespace strm
