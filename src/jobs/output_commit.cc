#include "jobs/output_commit.h"

#include <optional>

namespace strm {
namespace {

std::string NameOf(const StagedOutput& o) { return o.what + " (" + o.key + ")"; }

bool IsSet(const std::atomic<bool>* flag) { return flag != nullptr && flag->load(); }

class Commit {
 public:
  explicit Commit(const std::vector<StagedOutput>& outputs)
      : outputs_(outputs), kept_(outputs.size()) {}

  Status Run(const std::atomic<bool>* cancel) {
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const StagedOutput& o = outputs_[i];
      if (IsSet(cancel)) return GiveUp(0, CancelledStatus());
      std::string kept = TemporaryKey(o.key);
      Status s = o.store->Copy(o.key, kept);
      if (s.ok()) {
        kept_[i] = std::move(kept);
      } else if (s.code() != StatusCode::kNotFound) {  // NotFound: nothing to keep
        // The store may have made the copy and lost every answer about it: the name is ours
        // alone, so deleting it is safe (and hidden if that fails too).
        (void)o.store->Delete(kept);
        return GiveUp(0, Status(s.code(), "the previous version of " + NameOf(o) +
                                              " could not be kept, so no output of this run "
                                              "was committed: " +
                                              s.message()));
      }
    }
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const StagedOutput& o = outputs_[i];
      if (IsSet(cancel)) return GiveUp(i, CancelledStatus());
      Status s = o.out->Commit();
      // A commit that failed may have taken effect all the same (the store acted, its answer
      // was lost): that output is put back too.
      if (!s.ok())
        return GiveUp(i + 1,
                      Status(s.code(), NameOf(o) +
                                           " could not be committed, so no output of this run "
                                           "was kept: " +
                                           s.message()));
    }
    DropKept();
    return Status::Ok();
  }

 private:
  static Status CancelledStatus() {
    return Cancelled("the job was cancelled; no output was committed");
  }

  // Outputs [0, committed) are (or may be) committed: put them back, abort the rest, report
  // `cause`.
  Status GiveUp(size_t committed, Status cause) {
    for (size_t i = committed; i < outputs_.size(); ++i) outputs_[i].out->Abort();
    std::string unrestored;
    for (size_t i = 0; i < committed; ++i) {
      const StagedOutput& o = outputs_[i];
      Status s = kept_[i] ? o.store->Copy(*kept_[i], o.key) : o.store->Delete(o.key);
      if (s.ok()) continue;
      unrestored += "; " + NameOf(o) + " could not be put back";
      if (kept_[i]) unrestored += " (its previous version is kept as " + *kept_[i] + ")";
      unrestored += ": " + s.message();
      kept_[i].reset();  // keep that copy: it is the only one left
    }
    DropKept();
    if (unrestored.empty()) return cause;
    return Status(cause.code(), cause.message() + unrestored);
  }

  void DropKept() {
    for (size_t i = 0; i < outputs_.size(); ++i)
      if (kept_[i]) (void)outputs_[i].store->Delete(*kept_[i]);  // hidden if it stays
  }

  const std::vector<StagedOutput>& outputs_;
  std::vector<std::optional<std::string>> kept_;
};

}  // namespace

Status CommitAllOrNothing(const std::vector<StagedOutput>& outputs,
                          const std::atomic<bool>* cancel) {
  return Commit(outputs).Run(cancel);
}

}  // namespace strm
