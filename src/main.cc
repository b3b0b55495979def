#include <csignal>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // libcurl runs with CURLOPT_NOSIGNAL: a peer that hangs up must be an error value from
  // write(), not a SIGPIPE that kills the process (storage/http_client.h).
  std::signal(SIGPIPE, SIG_IGN);
  return strm::cli::Main(argc, argv);
}
