// A test and benchmark tool: the records of one topic of an embedded event log, read from
// the start of every partition. Used after a server stopped (or was killed), to count what
// the log holds independently of the server's own bookkeeping.
// Usage: strm_log_dump LOG_DIR TOPIC [--count]
// Prints each record's value on a line (partition by partition), or with --count only the
// number of records. Exit 1 with the error (a missing topic, a damaged log).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "streams/embedded_log.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "--count") != 0)) {
    std::fprintf(stderr, "usage: strm_log_dump LOG_DIR TOPIC [--count]\n");
    return 2;
  }
  const bool count_only = argc == 4;
  auto log = strm::EmbeddedLog::Open(argv[1]);
  if (!log.ok()) {
    std::fprintf(stderr, "strm_log_dump: %s\n", log.status().message().c_str());
    return 1;
  }
  auto partitions = (*log)->Partitions(argv[2]);
  if (!partitions.ok()) {
    std::fprintf(stderr, "strm_log_dump: %s\n", partitions.status().message().c_str());
    return 1;
  }
  uint64_t count = 0;
  for (int p = 0; p < *partitions; ++p) {
    auto end = (*log)->EndOffset(argv[2], p);
    auto offset = (*log)->StartOffset(argv[2], p);
    if (!end.ok() || !offset.ok()) {
      std::fprintf(stderr, "strm_log_dump: %s\n",
                   (end.ok() ? offset.status() : end.status()).message().c_str());
      return 1;
    }
    while (*offset < *end) {
      auto read = (*log)->Read(argv[2], p, *offset, 4 << 20, std::chrono::milliseconds(0));
      if (!read.ok()) {
        std::fprintf(stderr, "strm_log_dump: %s\n", read.status().message().c_str());
        return 1;
      }
      for (const auto& r : read->records) {
        ++count;
        if (!count_only) std::cout << r.record.value << '\n';
      }
      *offset = read->next_offset;
    }
  }
  if (count_only) std::cout << count << '\n';
  return std::cout.good() ? 0 : 1;
}
