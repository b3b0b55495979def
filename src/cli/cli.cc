#include "cli/cli.h"

#include <cstdio>

namespace strm::cli {

int Main(int, char**) {
  std::fputs("strm: no commands yet\n", stderr);
  return 1;
}

}  // namespace strm::cli
