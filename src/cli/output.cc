#include "cli/output.h"

#include <algorithm>
#include <cctype>

#include "platform/entity_json.h"

namespace strm::cli {
namespace {

size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;  // count code points, not bytes
  return w;
}

// The Type column: the connector's location member in capitals ("S3_BUCKET").
std::string TypeColumn(const DataConnector& c) {
  std::string column(ConnectorLocationMember(c.type));
  for (char& ch : column) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return column;
}

}  // namespace

Result<OutputFormat> ParseOutputFormat(std::string_view name, bool stdout_is_terminal) {
  if (name.empty()) return stdout_is_terminal ? OutputFormat::kTable : OutputFormat::kPlain;
  if (name == "json") return OutputFormat::kJson;
  if (name == "table") return OutputFormat::kTable;
  if (name == "plain") return OutputFormat::kPlain;
  return InvalidArgument("unknown output format '" + std::string(name) +
                         "' (expected json, table or plain)");
}

void PrintTable(std::ostream& os, const Table& t, OutputFormat format) {
  if (format == OutputFormat::kPlain) {
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) os << (i ? "\t" : "") << row[i];
      os << '\n';
    }
    return;
  }
  std::vector<size_t> width(t.header.size());
  for (size_t i = 0; i < t.header.size(); ++i) width[i] = DisplayWidth(t.header[i]);
  for (const auto& row : t.rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], DisplayWidth(row[i]));
  auto line = [&] {
    os << '+';
    for (size_t w : width) os << std::string(w + 2, '-') << '+';
    os << '\n';
  };
  auto cells = [&](const std::vector<std::string>& row) {
    os << '|';
    for (size_t i = 0; i < width.size(); ++i) {
      std::string_view v = i < row.size() ? std::string_view(row[i]) : "";
      os << ' ' << v << std::string(width[i] - DisplayWidth(v), ' ') << " |";
    }
    os << '\n';
  };
  line();
  cells(t.header);
  line();
  for (const auto& row : t.rows) cells(row);
  line();
}

Table ConnectorTable(const std::vector<DataConnector>& cs, const std::vector<int>* dependents) {
  Table t{{"Name", "Type", "Target Name"}, {}};
  if (dependents) t.header.push_back("Batch Jobs");
  for (size_t i = 0; i < cs.size(); ++i) {
    const DataConnector& c = cs[i];
    std::string target = c.location.value(
        "path", c.location.value("bucket_name", c.location.value("container_name", "")));
    std::vector<std::string> row{c.name, TypeColumn(c), target};
    if (dependents) row.push_back(std::to_string((*dependents)[i]));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table ContractTable(const std::vector<DataContract>& cs) {
  Table t{{"Ref", "Key Field", "PII Fields", "Validations"}, {}};
  for (const DataContract& c : cs) {
    std::string pii;
    for (const auto& [f, level] : c.pii_fields)
      pii += (pii.empty() ? "" : ", ") + f + ":" + std::to_string(level);
    t.rows.push_back({c.ref.ToString(), c.key_field, pii, std::to_string(c.validations.size())});
  }
  return t;
}

Table StreamTable(const std::vector<StreamRecord>& ss, bool with_secrets) {
  Table t{{"Name", "Derived From", "Purposes", "Masked Fields", "Tags"}, {}};
  if (with_secrets) t.header.insert(t.header.end(), {"Client Id", "Client Secret"});
  for (const StreamRecord& s : ss) {
    std::string levels, masked, tags;
    for (int l : s.consent_levels) levels += (levels.empty() ? "" : ",") + std::to_string(l);
    for (const auto& [ref, fields] : s.masked_fields)
      for (const std::string& f : fields) masked += (masked.empty() ? "" : ", ") + ref + ":" + f;
    for (const std::string& tag : s.tags) tags += (tags.empty() ? "" : ",") + tag;
    std::vector<std::string> row{s.name, s.linked_stream, levels, masked, tags};
    if (with_secrets) {
      const bool any = !s.credentials.empty();
      row.push_back(any ? s.credentials[0].client_id : "");
      row.push_back(any ? s.credentials[0].client_secret : "");
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table KeyStreamTable(const std::vector<KeyStream>& ks) {
  Table t{{"Name", "Stream Id"}, {}};
  for (const KeyStream& k : ks) t.rows.push_back({k.name, k.stream_id});
  return t;
}

Table PreviewTable(const CsvPreview& p) {
  constexpr size_t kMax = 22;
  auto shorten = [](const std::string& v) {
    if (DisplayWidth(v) <= kMax) return v;
    std::string out;
    size_t w = 0;
    for (unsigned char c : v) {
      if ((c & 0xC0) != 0x80 && ++w > kMax - 1) break;
      out += static_cast<char>(c);
    }
    return out + "…";
  };
  Table t;
  for (const auto& h : p.header) t.header.push_back(shorten(h));
  for (const auto& row : p.rows) {
    std::vector<std::string> r;
    for (const auto& v : row) r.push_back(shorten(v));
    t.rows.push_back(std::move(r));
  }
  return t;
}

Table BatchJobTable(const std::vector<BatchJobRecord>& js) {
  Table t{{"Batch Job id", "Timestamp", "State", "Details"}, {}};
  for (const BatchJobRecord& j : js)
    t.rows.push_back(
        {j.id, FormatTimestamp(j.updated_at), std::string(JobStateName(j.state)), j.message});
  return t;
}

}  // namespace strm::cli
