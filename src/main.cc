#include "cli/cli.h"

int main(int argc, char** argv) { return strm::cli::Main(argc, argv); }
