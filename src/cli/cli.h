// The `strm` command line: verbs and flags of the STRM Privacy CLI (SPEC §5).
#pragma once

namespace strm::cli {

// Runs the CLI; returns the process exit code (0 only on success).
int Main(int argc, char** argv);

}  // namespace strm::cli
