#include "cli/output.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>

#include "jobs/batch_job_config.h"
#include "platform/connector_store.h"

namespace strm::cli {
namespace {

size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;  // count code points, not bytes
  return w;
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

std::string FormatTimestamp(int64_t epoch_millis) {
  using namespace std::chrono;
  return date::format("%FT%TZ", time_point<system_clock, milliseconds>(milliseconds(epoch_millis)));
}

namespace {

// SPEC §1's name of each connector type's location, and the Type column of the table.
struct ConnectorKind {
  std::string_view type, location, column;
};
constexpr ConnectorKind kKinds[] = {
    {"local", "local_directory", "LOCAL_DIRECTORY"},
    {"s3", "s3_bucket", "S3_BUCKET"},
    {"gcs", "google_cloud_storage_bucket", "GOOGLE_CLOUD_STORAGE_BUCKET"},
    {"azure-blob-storage", "azure_blob_storage_container", "AZURE_BLOB_STORAGE_CONTAINER"},
};
ConnectorKind KindOf(const DataConnector& c) {
  for (const ConnectorKind& k : kKinds)
    if (k.type == c.type) return k;
  return {c.type, c.type, c.type};
}

}  // namespace

nlohmann::json ConnectorJson(const DataConnector& c, bool include_secrets) {
  nlohmann::json j = {{"ref", {{"name", c.name}}}};
  j[std::string(KindOf(c).location)] = c.location;
  if (!c.credentials.empty()) j["credentials"] = ConnectorCredentialsJson(c, include_secrets);
  j["created_at"] = FormatTimestamp(c.created_at);
  return j;
}

nlohmann::json ContractJson(const DataContract& c) {
  nlohmann::json j = ContractToJson(c);
  j["ref"] = {{"handle", c.ref.handle}, {"name", c.ref.name}, {"version", c.ref.version}};
  return j;
}

nlohmann::json BatchJobJson(const BatchJobRecord& job) {
  nlohmann::json j = job.config;
  // Seeds are secrets: show the job as its file would be, seeds replaced by ****.
  if (auto config = ParseBatchJobConfig(job.config.dump(), "stored job"); config.ok())
    j = BatchJobConfigToJson(RedactSecrets(*config));
  j["ref"] = {{"id", job.id}};
  j["state"] = JobStateName(job.state);
  j["message"] = job.message;
  j["stats"] = job.stats;
  j["created_at"] = FormatTimestamp(job.created_at);
  j["updated_at"] = FormatTimestamp(job.updated_at);
  return j;
}

Table ConnectorTable(const std::vector<DataConnector>& cs, const std::vector<int>* dependents) {
  Table t{{"Name", "Type", "Target Name"}, {}};
  if (dependents) t.header.push_back("Batch Jobs");
  for (size_t i = 0; i < cs.size(); ++i) {
    const DataConnector& c = cs[i];
    std::string target = c.location.value(
        "path", c.location.value("bucket_name", c.location.value("container_name", "")));
    std::vector<std::string> row{c.name, std::string(KindOf(c).column), target};
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
