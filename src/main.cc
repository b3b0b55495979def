#include <malloc.h>

#include <csignal>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // libcurl runs with CURLOPT_NOSIGNAL: a peer that hangs up must be an error value from
  // write(), not a SIGPIPE that kills the process (net/curl_transport.h).
  std::signal(SIGPIPE, SIG_IGN);
  // A batch job allocates and frees blocks of a few MiB over and over. Kept in the heap, they
  // are reused; given back to the kernel (glibc's default past 128 KiB), every block was
  // fresh pages to fault in and zero: a tenth of a key-heavy job's system time
  // (docs/performance.md).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  return strm::cli::Main(argc, argv);
}
