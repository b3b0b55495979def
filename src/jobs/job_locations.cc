#include "jobs/job_locations.h"

#include <algorithm>

#include "jobs/job_plan.h"
#include "privacy/event_policy.h"

namespace strm {
namespace {

std::string Named(std::string_view what, const DataLocation& loc) {
  return std::string(what) + " (" + loc.connector + ": " + JoinKey(loc.path_prefix, loc.file_name) +
         ")";
}

// The URI of the folder that holds the objects under `prefix`: ObjectUri gives
// "<base>/<key>" for every store.
std::string FolderUri(const ObjectStore& store, std::string_view prefix) {
  std::string uri = store.ObjectUri(JoinKey(prefix, "x"));
  uri.pop_back();
  return uri;
}

}  // namespace

std::vector<std::string> JobConnectors(const BatchJobConfig& config) {
  std::vector<std::string> unique{config.source.connector};
  for (const JobOutput& o : JobOutputs(config))
    if (std::find(unique.begin(), unique.end(), o.location.connector) == unique.end())
      unique.push_back(o.location.connector);
  return unique;
}

std::vector<JobOutput> JobOutputs(const BatchJobConfig& config) {
  std::vector<JobOutput> out;
  out.push_back({"encryption_keys_data", config.encryption_keys_data, true});
  out.push_back({"encrypted_data", config.encrypted_data, false});
  for (size_t i = 0; i < config.derived_data.size(); ++i)
    out.push_back(
        {"derived_data[" + std::to_string(i) + "]", config.derived_data[i].target, false});
  if (config.on_error == OnError::kSkip)
    out.push_back({"rejected_data", RejectedLocation(config), true});
  return out;
}

bool HasInputPattern(const DataLocation& source) {
  return source.file_name.empty() || source.file_name.find('*') != std::string::npos;
}

bool IsInputName(const DataLocation& source, std::string_view name) {
  if (name.find('/') != std::string_view::npos) return false;  // not in sub-folders
  return source.file_name.empty() ? name.ends_with(".csv")
                                  : MatchesFieldPattern(source.file_name, name);
}

bool HasInputPlaceholder(const BatchJobConfig& config) {
  for (const JobOutput& o : JobOutputs(config))
    if (o.location.file_name.find(kInputPlaceholder) != std::string::npos) return true;
  return false;
}

BatchJobConfig ForInputFile(const BatchJobConfig& config, std::string_view name) {
  const size_t dot = name.rfind('.');
  const std::string_view stem =
      dot == 0 || dot == std::string_view::npos ? name : name.substr(0, dot);
  auto fill = [stem](DataLocation& loc) {
    for (size_t at = 0; (at = loc.file_name.find(kInputPlaceholder, at)) != std::string::npos;
         at += stem.size())
      loc.file_name.replace(at, kInputPlaceholder.size(), stem);
  };
  BatchJobConfig one = config;
  one.source.file_name = std::string(name);
  fill(one.encrypted_data);
  fill(one.encryption_keys_data);
  for (DerivedDataConfig& d : one.derived_data) fill(d.target);
  if (one.rejected_data) fill(*one.rejected_data);
  return one;
}

Status CheckInputPlaceholders(const BatchJobConfig& config, bool watching) {
  if (!HasInputPattern(config.source)) return Status::Ok();
  const bool per_file = watching || HasInputPlaceholder(config);
  if (!per_file) return Status::Ok();
  for (const JobOutput& o : JobOutputs(config)) {
    if (o.location.file_name.find(kInputPlaceholder) != std::string::npos) continue;
    return InvalidArgument(
        std::string(watching ? "a job that watches its source"
                             : "a job with {input} in an output") +
        " writes each output once per input file, so every output's file_name must contain "
        "{input} (as in 'out/{input}.csv'): " +
        Named(o.what, o.location) + " has none");
  }
  return Status::Ok();
}

Status CheckJobLocations(const BatchJobConfig& config, const StoreResolver& stores) {
  struct Resolved {
    std::string name;
    std::string uri;
  };
  std::vector<Resolved> outputs;
  for (const JobOutput& o : JobOutputs(config)) {
    STRM_ASSIGN_OR_RETURN(auto store, stores(o.location.connector));
    outputs.push_back({Named(o.what, o.location),
                       store->ObjectUri(JoinKey(o.location.path_prefix, o.location.file_name))});
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (outputs[i].uri == outputs[j].uri)
        return FailedPrecondition(outputs[i].name + " and " + outputs[j].name +
                                  " are one object (" + outputs[i].uri +
                                  "): every output needs an object of its own");

  const DataLocation& src = config.source;
  STRM_ASSIGN_OR_RETURN(auto source, stores(src.connector));
  const std::string input = Named("source_data", src);
  if (!HasInputPattern(src)) {
    const std::string uri = source->ObjectUri(JoinKey(src.path_prefix, src.file_name));
    for (const Resolved& o : outputs)
      if (o.uri == uri)
        return FailedPrecondition(o.name + " is the job's input " + input + " (" + uri +
                                  "): an output must not overwrite what the job reads");
    return Status::Ok();
  }
  const std::string folder = FolderUri(*source, src.path_prefix);
  for (const Resolved& o : outputs)
    if (o.uri.starts_with(folder) &&
        IsInputName(src, std::string_view(o.uri).substr(folder.size())))
      return FailedPrecondition(o.name + " matches the job's input " + input + " (" + o.uri +
                                "): an output must not be one of the files the job reads");
  return Status::Ok();
}

}  // namespace strm
