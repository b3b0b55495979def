#include "cli/stream_commands.h"

#include <iostream>
#include <memory>

#include "cli/stream_client.h"
#include "net/curl_transport.h"
#include "net/websocket_client.h"
#include "platform/entity_json.h"
#include "platform/stream_rules.h"

namespace strm::cli {
namespace {

struct StreamFlags {
  std::string name;
  std::string description;
  std::vector<std::string> tags;
  std::string derived_from;
  std::string purposes;  // --purposes, or the older --levels
  std::vector<std::string> masked_fields;
  std::string mask_seed;
  bool include_credentials = false;
  bool recursive = false;
  StreamClientFlags client;
};

// The stream that the flags of `create stream` describe (platform.h's CreateStream input).
Result<StreamRecord> StreamFromFlags(const StreamFlags& f) {
  StreamRecord s;
  s.name = f.name;
  s.description = f.description;
  s.tags = f.tags;
  s.linked_stream = f.derived_from;
  if (f.derived_from.empty()) {
    if (!f.purposes.empty() || !f.masked_fields.empty() || !f.mask_seed.empty())
      return InvalidArgument(
          "--purposes, --masked-fields and --mask-seed make a derived stream: add --derived-from "
          "SOURCE");
    if (f.name.empty()) return InvalidArgument("a source stream needs a name");
    return s;
  }
  if (f.purposes.empty())
    return InvalidArgument("a derived stream needs --purposes (the levels it may see, e.g. 1,2)");
  STRM_ASSIGN_OR_RETURN(s.consent_levels, ParsePurposeLevels(f.purposes));
  for (const std::string& flag : f.masked_fields) {
    STRM_ASSIGN_OR_RETURN(auto parsed, ParseMaskedFieldsFlag(flag));
    auto& fields = s.masked_fields[parsed.first];
    for (std::string& field : parsed.second)
      if (std::find(fields.begin(), fields.end(), field) == fields.end())
        fields.push_back(std::move(field));
  }
  s.mask_seed = f.mask_seed;
  return s;
}

}  // namespace

void AddStreamCommands(CLI::App& app, Context& ctx, int& exit_code) {
  auto f = std::make_shared<StreamFlags>();  // outlives the callbacks that read it

  auto* create = app.get_subcommand("create")->add_subcommand(
      "stream", "Create a source stream, or a stream derived from one");
  create->add_option("name", f->name,
                     "Stream name (a derived stream's default: <source>-[M]<purposes>)");
  create->add_option("--description", f->description, "What the stream holds");
  create->add_option("--tags", f->tags, "Tags, comma-separated")->delimiter(',');
  create->add_option("--derived-from", f->derived_from, "The source stream of a derived stream");
  create->add_option("--purposes,--levels", f->purposes,
                     "Purpose levels a derived stream may see, comma-separated (GRANULAR)");
  create
      ->add_option("--masked-fields", f->masked_fields,
                   "handle/name/version:field1,field2 to mask (hash); repeatable")
      ->take_all();
  create->add_option("--mask-seed", f->mask_seed,
                     "Seed of the masks (default: a random one, kept secret)");
  AddOutputFlag(create, ctx);
  Action(create, exit_code, [&ctx, f]() -> Status {
    STRM_ASSIGN_OR_RETURN(StreamRecord wanted, StreamFromFlags(*f));
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(StreamRecord s, p->CreateStream(std::move(wanted)));
    // Its credentials, shown this once: a client needs them to send events.
    return PrintEntity(ctx, StreamJson(s, Secrets::kIncluded), StreamTable({s}, true));
  });

  auto* get = app.get_subcommand("get")->add_subcommand("stream", "Show a stream");
  get->add_option("name", f->name)->required();
  get->add_flag("--include-credentials", f->include_credentials, "Show the client secrets");
  AddOutputFlag(get, ctx);
  Action(get, exit_code, [&ctx, f]() -> Status {
    if (f->include_credentials && ctx.remote())
      return FailedPrecondition(
          "credentials never leave the server: --include-credentials works only on the "
          "embedded catalog (without --api-url and STRM_API_URL)");
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(StreamRecord s, p->GetStream(f->name));
    const Secrets secrets = f->include_credentials ? Secrets::kIncluded : Secrets::kMasked;
    return PrintEntity(ctx, StreamJson(s, secrets), StreamTable({s}, f->include_credentials));
  });
  auto* get_keys = app.get_subcommand("get")->add_subcommand(
      "key-stream", "Show the key stream of a source stream");
  get_keys->add_option("name", f->name)->required();
  AddOutputFlag(get_keys, ctx);
  Action(get_keys, exit_code, [&ctx, f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(KeyStream k, p->GetKeyStream(f->name));
    return PrintEntity(ctx, KeyStreamJson(k), KeyStreamTable({k}));
  });

  auto* list = app.get_subcommand("list")->add_subcommand("streams", "List streams");
  AddOutputFlag(list, ctx);
  Action(list, exit_code, [&ctx]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(auto ss, p->ListStreams());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : ss) arr.push_back(StreamJson(s, Secrets::kMasked));
    return PrintEntity(ctx, {{"streams", arr}}, StreamTable(ss, false));
  });
  auto* list_keys = app.get_subcommand("list")->add_subcommand("key-streams", "List key streams");
  AddOutputFlag(list_keys, ctx);
  Action(list_keys, exit_code, [&ctx]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_ASSIGN_OR_RETURN(auto ks, p->ListKeyStreams());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : ks) arr.push_back(KeyStreamJson(k));
    return PrintEntity(ctx, {{"key_streams", arr}}, KeyStreamTable(ks));
  });

  // listen web-socket: the events of a stream as they come, one JSON line each on stdout.
  auto* listen = app.add_subcommand("listen", "Follow a stream")->require_subcommand(1);
  auto* ws = listen->add_subcommand("web-socket", "Print a stream's new events (GET /ws)");
  ws->add_option("stream", f->name, "Stream name")->required();
  ws->add_option("--client-id", f->client.client_id,
                 "A client of the stream (else: the API token)");
  ws->add_option("--client-secret", f->client.client_secret, "That client's secret");
  Action(ws, exit_code, [&ctx, f]() -> Status {
    STRM_ASSIGN_OR_RETURN(StreamSession session, OpenStreamSession(ctx, f->name, f->client));
    std::string url = session.base_url;
    url.replace(0, url.find("://"), url.rfind("https", 0) == 0 ? "wss" : "ws");
    STRM_ASSIGN_OR_RETURN(
        auto socket,
        WebSocketClient::Connect(url + "/ws", {{"Authorization", "Bearer " + session.access_token}},
                                 std::chrono::seconds(30), CaFileFromEnvironment()));
    CatchInterrupts();
    while (!CancelRequested()) {
      auto message = socket->Read(std::chrono::milliseconds(200));
      if (message.status().code() == StatusCode::kNotFound) return Status::Ok();  // closed
      if (!message.ok()) return message.status();
      if (*message) std::cout << **message << std::endl;  // a line at a time, for pipes
    }
    return Status::Ok();
  });

  auto* del = app.get_subcommand("delete")->add_subcommand("stream", "Delete a stream");
  del->add_option("name", f->name)->required();
  del->add_flag("-r,--recursive", f->recursive, "Also delete the streams derived from it");
  AddOutputFlag(del, ctx);
  Action(del, exit_code, [&ctx, f]() -> Status {
    STRM_ASSIGN_OR_RETURN(Platform * p, ctx.Get());
    STRM_RETURN_IF_ERROR(p->DeleteStream(f->name, f->recursive));
    std::cout << "Deleted stream " << f->name << '\n';
    return Status::Ok();
  });
}

}  // namespace strm::cli
