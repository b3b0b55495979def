// Fuzzes job files: any bytes parse to a job or an error, and a parsed job written back
// (BatchJobConfigToJson) parses again to the same JSON.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_document.h"
#include "jobs/batch_job_config.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "json_config_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  if (auto doc = ParseJsonDocument(text, "job.json"); doc.ok()) {
    for (const auto& [pointer, line] : doc->lines) Check(doc->LineOf(pointer) == line, "LineOf");
  }
  Result<BatchJobConfig> config = ParseBatchJobConfig(text, "job.json");
  if (!config.ok()) return 0;
  const nlohmann::json first = BatchJobConfigToJson(*config);
  const std::string dumped = first.dump(2);
  Result<BatchJobConfig> again = ParseBatchJobConfig(dumped, "job.json");
  if (!again.ok())
    std::fprintf(stderr, "%s\n%s\n", dumped.c_str(), again.status().message().c_str());
  Check(again.ok(), "a written job does not parse");
  Check(BatchJobConfigToJson(*again) == first, "a written job parses to another job");
  Check(BatchJobConfigToJson(RedactSecrets(*config)).dump().size() > 0, "RedactSecrets");
  return 0;
}
