// The request bodies of bench/ingest.sh: demo events of the built-in contract
// strmprivacy/example/1.3.0 over `values` key-field values (consistentValue session-0 …),
// consent levels cycling through STRM's simulator's sets, encoded as the drivers send them.
// Usage: strm_ingest_bodies VALUES BATCH DIR
// Writes DIR/bodies.lua (a Lua table `bodies` of VALUES Avro binary data, for wrk),
// DIR/body.avro (the first of them, for h2load, which sends one body) and DIR/batch.json
// (a JSON array of BATCH events, for POST /events).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "formats/avro.h"
#include "privacy/builtin_contracts.h"

namespace {

nlohmann::json Event(int i, int values) {
  static const char* const kLevels[][4] = {{}, {"0"}, {"0", "1"}, {"0", "1", "2"}};
  nlohmann::json levels = nlohmann::json::array();
  for (const char* l : kLevels[i % 4])
    if (l) levels.push_back(std::atoi(l));
  return {{"strmMeta",
           {{"eventContractRef", "strmprivacy/example/1.3.0"},
            {"nonce", nullptr},
            {"timestamp", nullptr},
            {"keyLink", nullptr},
            {"billingId", nullptr},
            {"consentLevels", levels}}},
          {"uniqueIdentifier", "unique-" + std::to_string(i % 100)},
          {"consistentValue", "session-" + std::to_string(i % values)},
          {"someSensitiveValue", "sensitive-" + std::to_string(i % 97)},
          {"notSensitiveValue", "not-sensitive-" + std::to_string(i % 89)}};
}

// A Lua string literal holding `bytes` exactly (decimal escapes for all but safe characters).
std::string LuaString(const std::string& bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '/' || c == '.' || c == ' ') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: strm_ingest_bodies VALUES BATCH DIR\n");
    return 2;
  }
  const int values = std::atoi(argv[1]);
  const int batch = std::atoi(argv[2]);
  const std::string dir = argv[3];
  if (values < 1 || batch < 1) {
    std::fprintf(stderr, "strm_ingest_bodies: VALUES and BATCH must be at least 1\n");
    return 2;
  }
  auto schema = strm::AvroSchema::Parse(*strm::BuiltinAvroSchema("strmprivacy/example/1.3.0"));
  if (!schema.ok()) {
    std::fprintf(stderr, "strm_ingest_bodies: %s\n", schema.status().message().c_str());
    return 1;
  }
  std::ofstream lua(dir + "/bodies.lua", std::ios::binary);
  lua << "bodies = {\n";
  for (int i = 0; i < values; ++i) {
    auto body = schema->EncodeBinary(Event(i, values));
    if (!body.ok()) {
      std::fprintf(stderr, "strm_ingest_bodies: %s\n", body.status().message().c_str());
      return 1;
    }
    lua << LuaString(*body) << ",\n";
    if (i == 0) std::ofstream(dir + "/body.avro", std::ios::binary) << *body;
  }
  lua << "}\n";
  nlohmann::json array = nlohmann::json::array();
  for (int i = 0; i < batch; ++i) array.push_back(Event(i, values));
  std::ofstream(dir + "/batch.json", std::ios::binary) << array.dump();
  return lua.good() ? 0 : 1;
}
