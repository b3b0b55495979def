// The strm command tree: the entity verbs (create, get, list, delete), decrypt, simulate and
// completion here, the server's in serve_commands.cc, what they share in command_support.h.
// Each command parses its flags, calls the Platform, and prints the result; errors go to
// stderr as one sentence with exit code 1 (2 for usage errors).
#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command_support.h"
#include "cli/completion.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "cli/serve_commands.h"
#include "cli/simulate_events.h"
#include "cli/stream_commands.h"
#include "jobs/decrypt_csv.h"
#include "jobs/simulate_batch_data.h"
#include "platform/connector_store.h"
#include "platform/entity_json.h"
#include "platform/follow_job.h"
#include "platform/platform.h"
#include "storage/local_store.h"

namespace strm::cli {
namespace {

// Writes to a file descriptor; Commit flushes. For stdout, where atomicity is the shell's.
class FdOutput final : public OutputStream {
 public:
  explicit FdOutput(int fd) : fd_(fd) {}
  Status Write(std::string_view d) override {
    while (!d.empty()) {
      ssize_t w = ::write(fd_, d.data(), d.size());
      if (w < 0) return IoError("cannot write to standard output");
      d.remove_prefix(static_cast<size_t>(w));
    }
    return Status::Ok();
  }
  Status Commit() override { return Status::Ok(); }
  void Abort() override {}

 private:
  int fd_;
};

class FileInput final : public InputStream {
 public:
  explicit FileInput(std::FILE* f) : f_(f) {}
  ~FileInput() override { std::fclose(f_); }
  Result<size_t> Read(char* buf, size_t n) override {
    size_t r = std::fread(buf, 1, n, f_);
    if (r == 0 && std::ferror(f_)) return IoError("read error");
    return r;
  }

 private:
  std::FILE* f_;
};

struct Flags {
  std::string dc_name, dc_path;
  std::string dc_bucket, dc_credentials_file;                   // s3, gcs
  std::string dc_account_uri, dc_tenant, dc_client, dc_secret;  // azure-blob-storage
  std::string contract_ref, schema_file, contract_file;
  std::string job_file;
  int threads = 0;
  std::string get_name;
  bool include_credentials = false;
  bool wait = false;
  bool preview = false;
  size_t preview_rows = 5;
  bool recursive_list = false;
  std::string del_name;
  bool recursive_delete = false;
  std::string enc_file, keys_file, dec_contract;
  BatchDataSpec spec;
};

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"strm: privacy-by-design data pipelines (data contracts, batch jobs, streams)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("strm ") + STRM_VERSION);
  app.fallthrough();  // --api-url and --api-token-file after the command too
  Context ctx;
  app.add_option("--api-url", ctx.api_url,
                 "A strm server's URL; without it (and STRM_API_URL), the embedded catalog")
      ->envname("STRM_API_URL");
  app.add_option("--api-token-file", ctx.api_token_file,
                 "File holding the server's API token (or set STRM_API_TOKEN)");
  Flags f;  // every command's flags; outlives the callbacks that read them
  int exit_code = 0;

  // create
  auto* create = app.add_subcommand("create", "Create an entity")->require_subcommand(1);
  auto* create_dc =
      create->add_subcommand("data-connector", "Create a data connector")->require_subcommand(1);
  auto* create_local = create_dc->add_subcommand("local", "A directory on this machine");
  create_local->add_option("name", f.dc_name, "Connector name")->required();
  create_local->add_option("path", f.dc_path, "Directory (created if missing)")->required();
  AddOutputFlag(create_local, ctx);
  Action(create_local, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    DataConnector c;
    c.name = f.dc_name;
    c.type = "local";
    std::error_code ec;
    c.location = {{"path", std::filesystem::absolute(f.dc_path, ec).lexically_normal().string()}};
    STRM_ASSIGN_OR_RETURN(c, p->CreateDataConnector(c));
    return PrintEntity(ctx, ConnectorJson(c, Secrets::kMasked), ConnectorTable({c}, nullptr));
  });

  // The object stores: credentials come from a file (never from the command line, where
  // other users could read them), except Azure's, whose CLI takes them as flags.
  auto create_store = [&](CLI::App* cmd, std::function<Result<DataConnector>()> make) {
    AddOutputFlag(cmd, ctx);
    Action(cmd, exit_code, [&ctx, make]() -> Status {
      STRM_ASSIGN_OR_RETURN(DataConnector c, make());
      STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
      STRM_ASSIGN_OR_RETURN(c, p->CreateDataConnector(c));
      return PrintEntity(ctx, ConnectorJson(c, Secrets::kMasked), ConnectorTable({c}, nullptr));
    });
  };
  auto* create_s3 = create_dc->add_subcommand("s3", "An AWS S3 or S3-compatible bucket");
  create_s3->add_option("name", f.dc_name, "Connector name")->required();
  create_s3->add_option("bucket", f.dc_bucket, "Bucket name")->required();
  create_s3->add_option("--credentials-file", f.dc_credentials_file,
                        "JSON of `aws iam create-access-key`, or {url, accessKey, secretKey, api, "
                        "path} for S3-compatible stores; without it, the AWS_* environment");
  create_store(create_s3, [&f]() -> Result<DataConnector> {
    std::string creds;
    if (!f.dc_credentials_file.empty()) {
      STRM_ASSIGN_OR_RETURN(creds, ReadFile(f.dc_credentials_file, "credentials file"));
    }
    return MakeS3Connector(f.dc_name, f.dc_bucket, creds, f.dc_credentials_file);
  });
  auto* create_gcs = create_dc->add_subcommand("gcs", "A Google Cloud Storage bucket");
  create_gcs->add_option("name", f.dc_name, "Connector name")->required();
  create_gcs->add_option("bucket", f.dc_bucket, "Bucket name")->required();
  create_gcs->add_option("--credentials-file", f.dc_credentials_file, "Service-account key (JSON)")
      ->required();
  create_store(create_gcs, [&f]() -> Result<DataConnector> {
    STRM_ASSIGN_OR_RETURN(std::string creds, ReadFile(f.dc_credentials_file, "credentials file"));
    return MakeGcsConnector(f.dc_name, f.dc_bucket, creds, f.dc_credentials_file);
  });
  auto* create_azure =
      create_dc->add_subcommand("azure-blob-storage", "An Azure Blob Storage container");
  create_azure->add_option("name", f.dc_name, "Connector name")->required();
  create_azure->add_option("container", f.dc_bucket, "Container name")->required();
  create_azure
      ->add_option("--storage-account-uri", f.dc_account_uri,
                   "https://ACCOUNT.blob.core.windows.net (or with a path, as Azurite's)")
      ->required();
  create_azure->add_option("--tenant-id", f.dc_tenant, "Entra ID tenant")->required();
  create_azure->add_option("--client-id", f.dc_client, "Application (client) id")->required();
  create_azure->add_option("--client-secret", f.dc_secret, "Client secret")->required();
  create_store(create_azure, [&f]() -> Result<DataConnector> {
    return MakeAzureConnector(f.dc_name, f.dc_bucket, f.dc_account_uri, f.dc_tenant, f.dc_client,
                              f.dc_secret);
  });

  auto* create_contract = create->add_subcommand("data-contract", "Create a data contract");
  create_contract->add_option("ref", f.contract_ref, "handle/name/version")->required();
  create_contract->add_option("--schema-definition", f.schema_file, "Simple schema (JSON or YAML)")
      ->required();
  create_contract->add_option("--contract-definition", f.contract_file, "Contract definition JSON")
      ->required();
  AddOutputFlag(create_contract, ctx);
  Action(create_contract, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(f.contract_ref));
    STRM_ASSIGN_OR_RETURN(std::string schema, ReadFile(f.schema_file, "schema definition"));
    STRM_ASSIGN_OR_RETURN(std::string contract, ReadFile(f.contract_file, "contract definition"));
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(DataContract c, p->CreateDataContract(ref, schema, contract));
    return PrintEntity(ctx, ContractJson(c, Secrets::kMasked), ContractTable({c}));
  });

  auto* create_job = create->add_subcommand("batch-job", "Create a batch job and run it");
  create_job->add_option("-F,--file", f.job_file, "Batch job definition (JSON)")->required();
  create_job->add_option("--threads", f.threads, "Worker threads (default: the number of cores)")
      ->check(WholeNumber(0, 256));
  create_job->add_flag("--wait", f.wait,
                       "With a server: follow the job to its end (without one, it always does)");
  AddOutputFlag(create_job, ctx);
  Action(create_job, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(std::string text, ReadFile(f.job_file, "batch job"));
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    const std::string source = std::filesystem::path(f.job_file).filename().string();
    if (ctx.remote() && !f.wait) {  // a server runs it: PENDING at once
      SubmitBatchJobOptions submit;
      submit.threads = f.threads;
      STRM_ASSIGN_OR_RETURN(BatchJobRecord job, p->SubmitBatchJob(text, source, submit));
      return PrintEntity(ctx, BatchJobJson(job, Secrets::kMasked), BatchJobTable({job}));
    }
    ProgressBar bar;
    SubmitBatchJobOptions submit;
    submit.threads = f.threads;
    FollowOptions follow;
    if (::isatty(2)) follow.on_progress = [&bar](const JobProgress& pr) { bar.Update(pr); };
    follow.cancel = &CancelRequested();
    CatchInterrupts();
    auto job = RunBatchJobToEnd(*p, text, source, submit, follow);
    bar.Finish();
    if (!job.ok()) return job.status();
    return PrintEntity(ctx, BatchJobJson(*job, Secrets::kMasked), BatchJobTable({*job}));
  });

  // get
  auto* get = app.add_subcommand("get", "Show one entity")->require_subcommand(1);
  auto* get_dc = get->add_subcommand("data-connector", "Show a data connector");
  get_dc->add_option("name", f.get_name)->required();
  get_dc->add_flag("--include-credentials", f.include_credentials, "Show the credentials");
  AddOutputFlag(get_dc, ctx);
  Action(get_dc, exit_code, [&ctx, &f]() -> Status {
    if (f.include_credentials && ctx.remote())
      return FailedPrecondition(
          "credentials never leave the server: --include-credentials works only on the "
          "embedded catalog (without --api-url and STRM_API_URL)");
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(DataConnector c, p->GetDataConnector(f.get_name));
    return PrintEntity(
        ctx, ConnectorJson(c, f.include_credentials ? Secrets::kIncluded : Secrets::kMasked),
        ConnectorTable({c}, nullptr));
  });
  auto* get_contract = get->add_subcommand("data-contract", "Show a data contract");
  get_contract->add_option("ref", f.get_name, "handle/name/version")->required();
  AddOutputFlag(get_contract, ctx);
  Action(get_contract, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(f.get_name));
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(DataContract c, p->GetDataContract(ref));
    return PrintEntity(ctx, ContractJson(c, Secrets::kMasked), ContractTable({c}));
  });
  auto* get_job = get->add_subcommand("batch-job", "Show a batch job");
  get_job->add_option("id", f.get_name)->required();
  get_job->add_flag("--preview", f.preview, "Show the first rows of input and outputs");
  get_job->add_option("--rows", f.preview_rows, "Rows per preview table (default 5)")
      ->check(WholeNumber(1, 1000));
  AddOutputFlag(get_job, ctx);
  Action(get_job, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(BatchJobRecord j, p->GetBatchJob(f.get_name));
    if (!f.preview) return PrintEntity(ctx, BatchJobJson(j, Secrets::kMasked), BatchJobTable({j}));
    STRM_ASSIGN_OR_RETURN(auto previews, p->PreviewBatchJob(j.id, f.preview_rows));
    STRM_ASSIGN_OR_RETURN(OutputFormat f, ctx.Format());
    if (f == OutputFormat::kPlain) f = OutputFormat::kTable;  // a f.preview is for people
    for (const CsvPreview& pv : previews) {
      if (f == OutputFormat::kJson) {
        std::cout << nlohmann::json{{"title", pv.title}, {"header", pv.header}, {"rows", pv.rows}}
                  << '\n';
        continue;
      }
      std::cout << pv.title << '\n';
      PrintTable(std::cout, PreviewTable(pv), f);
    }
    return Status::Ok();
  });

  // list
  auto* list = app.add_subcommand("list", "List entities")->require_subcommand(1);
  auto* list_dc = list->add_subcommand("data-connectors", "List data connectors");
  list_dc->add_flag("-r,--recursive", f.recursive_list, "Show how many batch jobs use each");
  AddOutputFlag(list_dc, ctx);
  Action(list_dc, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(auto cs, p->ListDataConnectors());
    nlohmann::json arr = nlohmann::json::array();
    std::vector<int> counts;
    for (const auto& c : cs) {
      arr.push_back(ConnectorJson(c, Secrets::kMasked));
      if (f.recursive_list) {
        STRM_ASSIGN_OR_RETURN(auto deps, p->DataConnectorDependents(c.name));
        counts.push_back(static_cast<int>(deps.size()));
        arr.back()["batch_jobs"] = deps;
      }
    }
    return PrintEntity(ctx, {{"data_connectors", arr}},
                       ConnectorTable(cs, f.recursive_list ? &counts : nullptr));
  });
  auto* list_contracts = list->add_subcommand("data-contracts", "List data contracts");
  AddOutputFlag(list_contracts, ctx);
  Action(list_contracts, exit_code, [&ctx]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(auto cs, p->ListDataContracts());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : cs) arr.push_back(ContractJson(c, Secrets::kMasked));
    return PrintEntity(ctx, {{"data_contracts", arr}}, ContractTable(cs));
  });
  auto* list_jobs = list->add_subcommand("batch-jobs", "List batch jobs");
  AddOutputFlag(list_jobs, ctx);
  Action(list_jobs, exit_code, [&ctx]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(auto js, p->ListBatchJobs());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& j : js) arr.push_back(BatchJobJson(j, Secrets::kMasked));
    return PrintEntity(ctx, {{"batch_jobs", arr}}, BatchJobTable(js));
  });

  // delete
  auto* del = app.add_subcommand("delete", "Delete an entity")->require_subcommand(1);
  auto* del_dc = del->add_subcommand("data-connector", "Delete a data connector");
  del_dc->add_option("name", f.del_name)->required();
  del_dc->add_flag("-r,--recursive", f.recursive_delete, "Also delete the batch jobs that use it");
  AddOutputFlag(del_dc, ctx);
  Action(del_dc, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_RETURN_IF_ERROR(p->DeleteDataConnector(f.del_name, f.recursive_delete));
    std::cout << "Deleted data connector " << f.del_name << '\n';
    return Status::Ok();
  });
  auto* del_contract = del->add_subcommand("data-contract", "Delete a data contract");
  del_contract->add_option("ref", f.del_name, "handle/name/version")->required();
  AddOutputFlag(del_contract, ctx);
  Action(del_contract, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(f.del_name));
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_RETURN_IF_ERROR(p->DeleteDataContract(ref));
    std::cout << "Deleted data contract " << ref.ToString() << '\n';
    return Status::Ok();
  });
  auto* del_job = del->add_subcommand("batch-job", "Delete a batch job");
  del_job->add_option("id", f.del_name)->required();
  AddOutputFlag(del_job, ctx);
  Action(del_job, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_RETURN_IF_ERROR(p->DeleteBatchJob(f.del_name));
    std::cout << "Deleted batch job " << f.del_name << '\n';
    return Status::Ok();
  });

  // decrypt
  auto* decrypt = app.add_subcommand("decrypt", "Re-identify an encrypted batch output");
  decrypt->add_option("-F,--file", f.enc_file, "Encrypted CSV")->required();
  decrypt->add_option("--keys", f.keys_file, "Keys CSV of the same job")->required();
  decrypt->add_option("--contract", f.dec_contract, "handle/name/version")->required();
  Action(decrypt, exit_code, [&ctx, &f]() -> Status {
    STRM_ASSIGN_OR_RETURN(ContractRef ref, ContractRef::Parse(f.dec_contract));
    STRM_ASSIGN_OR_RETURN(std::string keys, ReadFile(f.keys_file, "keys"));
    std::FILE* file = std::fopen(f.enc_file.c_str(), "rb");
    if (!file) return NotFound("cannot read encrypted file '" + f.enc_file + "'");
    FileInput in(file);
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(DataContract c, p->GetDataContract(ref));
    FdOutput out(1);
    return DecryptCsv(in, keys, c, std::filesystem::path(f.enc_file).filename().string(), out);
  });

  // simulate
  auto* simulate = app.add_subcommand("simulate", "Generate demo data")->require_subcommand(1);
  auto* sim_batch = simulate->add_subcommand("batch-data", "Write demo-shaped CSV rows to stdout");
  sim_batch->add_option("--rows", f.spec.rows, "Number of rows")
      ->required()
      ->check(WholeNumber(0, kMaxSimulatedRows));
  sim_batch->add_option("--users", f.spec.users, "Number of distinct users (default 100)")
      ->check(WholeNumber(1, kMaxSimulatedUsers));
  sim_batch->add_option("--days", f.spec.days, "Days the timestamps span (default 7)")
      ->check(WholeNumber(1, kMaxSimulatedDays));
  sim_batch->add_option("--seed", f.spec.seed, "Random seed (default 1)")
      ->check(WholeNumber(0, UINT64_MAX));
  Action(sim_batch, exit_code, [&f]() -> Status {
    FdOutput out(1);
    return WriteSimulatedBatchData(f.spec, out);
  });

  AddSimulateEventsCommand(*simulate, ctx, exit_code);
  AddStreamCommands(app, ctx, exit_code);
  AddServeCommands(app, ctx, exit_code);

  // completion
  std::string shell;
  auto* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->add_option("shell", shell, "bash or zsh")->required();
  Action(completion, exit_code, [&app, &shell]() -> Status {
    STRM_ASSIGN_OR_RETURN(std::string script, CompletionScript(app, shell));
    std::cout << script;
    return Status::Ok();
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::string message = e.what();
    // CLI11 reports a missing subcommand before an unknown word; name the word instead.
    if (message == "A subcommand is required") {
      for (const std::string& word : app.remaining(true)) {
        if (word.empty() || word[0] == '-') continue;
        message = "unknown command '" + word + "'";
        break;
      }
    }
    std::cerr << "Error: " << message << "\nRun with --help for usage.\n";
    return 2;
  }
  return exit_code;
}

}  // namespace strm::cli
