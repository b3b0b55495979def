// How the CLI shows entities: `-o table` (bordered, for people), `-o plain` (tab-separated
// rows without header, for scripts), `-o json` (the entity's JSON form, platform/entity_json.h,
// whose secrets show as **** unless the user asks for them).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/result.h"
#include "jobs/csv_preview.h"
#include "platform/platform.h"
#include "privacy/contract.h"

namespace strm::cli {

enum class OutputFormat { kTable, kJson, kPlain };

// "json", "table", "plain"; empty: table on a terminal, plain otherwise.
Result<OutputFormat> ParseOutputFormat(std::string_view name, bool stdout_is_terminal);

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

void PrintTable(std::ostream& os, const Table& table, OutputFormat format);

// One row per entity; `dependents` (job counts per connector) adds a column when given.
Table ConnectorTable(const std::vector<DataConnector>& cs, const std::vector<int>* dependents);
Table ContractTable(const std::vector<DataContract>& cs);
Table BatchJobTable(const std::vector<BatchJobRecord>& js);
// `with_secrets`: the clients' ids and secrets too (what `create stream` shows once).
Table StreamTable(const std::vector<StreamRecord>& ss, bool with_secrets);
Table KeyStreamTable(const std::vector<KeyStream>& ks);

// A preview as a table, long cells shortened to 22 characters and "…".
Table PreviewTable(const CsvPreview& preview);

}  // namespace strm::cli
