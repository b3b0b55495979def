// `strm serve` and `strm serve token create|revoke|list`.
#include "cli/serve_commands.h"

#include <iostream>

#include "platform/api_tokens.h"
#include "platform/entity_json.h"
#include "server/serve.h"

namespace strm::cli {

void AddServeCommands(CLI::App& app, Context& ctx, int& exit_code) {
  // The flags outlive this function: the callbacks read them after parsing.
  struct Flags {
    server::ServeOptions options;
    std::string log_format = "text";
    std::string tls_cert, tls_key, catalog_url, event_log, token_name;
    double watch_seconds = 10;
  };
  auto flags = std::make_shared<Flags>();
  Flags& f = *flags;
  auto* serve = app.add_subcommand("serve", "Run the platform as a server (REST API, jobs)");
  serve->add_option("--listen", f.options.listen, "HOST:PORT to listen on")
      ->default_str("127.0.0.1:8080");
  serve->add_option("--catalog", f.catalog_url,
                    "sqlite:DIR, the embedded catalog in DIR (default: sqlite:$STRM_HOME)");
  serve->add_option(
      "--event-log", f.event_log,
      "embedded:DIR, the event log of streams in DIR (default: embedded:$STRM_HOME/log)");
  serve->add_option("--tls-cert", f.tls_cert, "Certificate chain (PEM) for HTTPS");
  serve->add_option("--tls-key", f.tls_key, "Private key (PEM) for HTTPS");
  serve->add_option("--job-slots", f.options.job_slots, "Batch jobs that run at once")
      ->check(WholeNumber(1, 64))
      ->default_str("2");
  serve
      ->add_option("--watch-interval", f.watch_seconds,
                   "Seconds between two listings of a watching job's source")
      ->check(CLI::Range(0.05, 3600.0))
      ->default_str("10");
  serve->add_option("--http-threads", f.options.http_threads, "Threads serving HTTP")
      ->check(WholeNumber(1, 64))
      ->default_str("1");
  serve->add_option("--log-format", f.log_format, "text or json")->default_str("text");
  // serve token create|revoke|list: the server's API tokens, on the catalog of $STRM_HOME.
  auto* token =
      serve->add_subcommand("token", "Manage the server's API tokens")->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Make a token; prints it, once");
  token_create->add_option("name", f.token_name, "A name for the token (who or what uses it)")
      ->required();
  AddOutputFlag(token_create, ctx);
  Action(token_create, exit_code, [flags, &ctx]() -> Status {
    Flags& f = *flags;
    STRM_ASSIGN_OR_RETURN(auto catalog, OpenSqliteCatalog(StrmHome()));
    STRM_ASSIGN_OR_RETURN(auto made, NewApiToken(f.token_name));
    STRM_RETURN_IF_ERROR(catalog->CreateApiToken(made.first));
    STRM_ASSIGN_OR_RETURN(OutputFormat fmt, ctx.Format());
    if (fmt == OutputFormat::kJson) {
      std::cout << nlohmann::json{{"id", made.first.id},
                                  {"name", made.first.name},
                                  {"token", made.second}}
                       .dump(2)
                << '\n';
    } else {
      std::cout << made.second << '\n';  // asked for: the only time it is shown
    }
    return Status::Ok();
  });
  auto* token_revoke = token->add_subcommand("revoke", "Revoke a token by its id or name");
  token_revoke->add_option("token", f.token_name, "The token's id or name")->required();
  Action(token_revoke, exit_code, [flags]() -> Status {
    Flags& f = *flags;
    STRM_ASSIGN_OR_RETURN(auto catalog, OpenSqliteCatalog(StrmHome()));
    return catalog->RevokeApiToken(f.token_name, NowMillis());
  });
  auto* token_list = token->add_subcommand("list", "List the tokens (never their secrets)");
  AddOutputFlag(token_list, ctx);
  Action(token_list, exit_code, [&ctx]() -> Status {
    STRM_ASSIGN_OR_RETURN(auto catalog, OpenSqliteCatalog(StrmHome()));
    STRM_ASSIGN_OR_RETURN(auto tokens, catalog->ListApiTokens());
    nlohmann::json json = nlohmann::json::array();
    Table table{{"Id", "Name", "Created", "Revoked"}, {}};
    for (const ApiToken& t : tokens) {
      const std::string revoked = t.revoked_at ? FormatTimestamp(*t.revoked_at) : "";
      json.push_back({{"id", t.id},
                      {"name", t.name},
                      {"created_at", FormatTimestamp(t.created_at)},
                      {"revoked_at", t.revoked_at ? nlohmann::json(revoked) : nlohmann::json()}});
      table.rows.push_back({t.id, t.name, FormatTimestamp(t.created_at), revoked});
    }
    return PrintEntity(ctx, json, table);
  });

  Action(serve, exit_code, [flags, token]() -> Status {
    Flags& f = *flags;
    if (token->parsed()) return Status::Ok();  // `serve token ...` ran instead
    STRM_ASSIGN_OR_RETURN(f.options.log_format, server::ParseLogFormat(f.log_format));
    if (!f.tls_cert.empty()) f.options.tls_cert_file = f.tls_cert;
    if (!f.tls_key.empty()) f.options.tls_key_file = f.tls_key;
    f.options.home = StrmHome();
    f.options.watch_interval =
        std::chrono::milliseconds(static_cast<int64_t>(f.watch_seconds * 1000 + 0.5));
    if (f.catalog_url.rfind("sqlite:", 0) == 0 && f.catalog_url.size() > 7) {
      f.options.home = f.catalog_url.substr(7);
    } else if (f.catalog_url.rfind("postgresql://", 0) == 0 ||
               f.catalog_url.rfind("postgres://", 0) == 0) {
      return FailedPrecondition(
          "--catalog: PostgreSQL catalogs (several nodes on one platform) are not supported by "
          "this release; use sqlite:DIR");
    } else if (!f.catalog_url.empty()) {
      return InvalidArgument("--catalog must be sqlite:DIR or postgresql://..., got '" +
                             f.catalog_url + "'");
    }
    if (f.event_log.rfind("embedded:", 0) == 0 && f.event_log.size() > 9) {
      f.options.event_log_dir = f.event_log.substr(9);
    } else if (f.event_log.rfind("kafka://", 0) == 0) {
      return FailedPrecondition(
          "--event-log: Kafka event logs (several nodes on one platform) are not supported by "
          "this release; use embedded:DIR");
    } else if (!f.event_log.empty()) {
      return InvalidArgument("--event-log must be embedded:DIR or kafka://host:port,..., got '" +
                             f.event_log + "'");
    }
    return server::Serve(f.options);
  });
}

}  // namespace strm::cli
