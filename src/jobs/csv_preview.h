// The first rows of a CSV object, for `strm get batch-job ID --preview`.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "storage/object_store.h"

namespace strm {

struct CsvPreview {
  std::string title;  // "input (input.csv)", "encrypted_data (out/encrypted.csv)", ...
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Reads the header and up to `rows` records of `key`, converting `charset` to UTF-8.
Result<CsvPreview> ReadCsvPreview(ObjectStore& store, const std::string& key,
                                  const std::string& charset, size_t rows, std::string title);

}  // namespace strm
