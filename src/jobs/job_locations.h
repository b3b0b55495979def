// Where a batch job reads and writes: its input objects, its outputs in commit order, and the
// rule that no two of them are one object (SPEC §2 "Outputs never collide").
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "jobs/batch_job_config.h"
#include "storage/object_store.h"

namespace strm {

// Opens the object store of a data connector by name.
using StoreResolver =
    std::function<Result<std::shared_ptr<ObjectStore>>(const std::string& connector)>;

// One output of a job: "encryption_keys_data", "encrypted_data", "derived_data[i]",
// "rejected_data".
struct JobOutput {
  std::string what;
  DataLocation location;
  bool secret = false;  // holds keys or unencrypted personal data (WriteOptions::secret)
};

// The outputs of `config` in the order they are committed: the keys first (a keys file newer
// than the data it decrypts is harmless; the reverse would leave rows nobody can decrypt),
// then the encrypted data, the derived data in order, and the rejected rows with on_error
// SKIP. The keys and the rejected rows (personal data in the clear) are secret.
std::vector<JobOutput> JobOutputs(const BatchJobConfig& config);

// The data connectors `config` uses, each once, in the order of the job file.
std::vector<std::string> JobConnectors(const BatchJobConfig& config);

// Whether the source names many files: its file name is a glob ("*.csv") or absent (every
// ".csv" under the path prefix). Otherwise it names one object.
bool HasInputPattern(const DataLocation& source);

// Whether `name` (an object directly under the source's path prefix, the prefix removed) is
// an input of a job whose source file name is a glob or empty: it matches the glob, or, with
// no file name, ends in ".csv".
bool IsInputName(const DataLocation& source, std::string_view name);

// "{input}" in an output's file name stands for the name of the input object it was made
// from, without its extension (SPEC §5 "Watching jobs").
inline constexpr std::string_view kInputPlaceholder = "{input}";

// Whether the file name of one of the job's outputs holds {input}.
bool HasInputPlaceholder(const BatchJobConfig& config);

// The job for one input object `name` (directly under the source's path prefix): its source
// names that object, and {input} in its outputs' file names is `name` without its extension
// ("day-3.csv" -> "day-3"; ".csv" and "x" stay whole).
BatchJobConfig ForInputFile(const BatchJobConfig& config, std::string_view name);

// InvalidArgument unless the outputs can be made once per input file: with a source of many
// files, every output's file name holds {input} or none does; `watching` (a server's job of
// many files, which runs file by file) requires every.
Status CheckInputPlaceholders(const BatchJobConfig& config, bool watching);

// FailedPrecondition, before anything is read or written, when two outputs of `config`
// resolve to the same object (ObjectStore::ObjectUri: through different connectors too), or
// an output is the job's input or matches its input pattern; the message names both:
// "encrypted_data (demo: out/x.csv) and derived_data[0] (demo: out/x.csv) are one object
// (file:///data/out/x.csv): every output needs an object of its own". Errors of `stores`
// come back as they are.
Status CheckJobLocations(const BatchJobConfig& config, const StoreResolver& stores);

}  // namespace strm
