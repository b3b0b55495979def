#include "jobs/csv_preview.h"

#include "formats/charset.h"
#include "formats/csv_reader.h"

namespace strm {

Result<CsvPreview> ReadCsvPreview(ObjectStore& store, const std::string& key,
                                  const std::string& charset, size_t rows, std::string title) {
  CsvPreview p;
  p.title = std::move(title);
  STRM_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> in, store.OpenRead(key));
  if (!IsUtf8Charset(charset)) {
    STRM_ASSIGN_OR_RETURN(in, NewUtf8Converter(std::move(in), charset));
  }
  CsvBlockReader reader(in.get(), 64 << 10);  // small blocks: only the head is needed
  CsvRecords records;
  while (p.rows.size() < rows) {
    STRM_ASSIGN_OR_RETURN(CsvBlock block, reader.Next());
    if (block.data.empty()) break;
    STRM_RETURN_IF_ERROR(records.Parse(block, true).WithContext(key));
    for (size_t i = 0; i < records.size() && p.rows.size() < rows; ++i) {
      std::vector<std::string> fields(records[i].begin(), records[i].end());
      if (p.header.empty() && block.first_row + i == 0) {
        p.header = std::move(fields);
      } else {
        p.rows.push_back(std::move(fields));
      }
    }
  }
  return p;
}

}  // namespace strm
