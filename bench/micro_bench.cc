// Micro benchmarks of the batch engine's hot pieces (issue 3), on demo-shaped inputs made
// here with WriteSimulatedBatchData. Run: build/strm_bench [--benchmark_min_time=0.2]
//
// A second mode gives the crypto-bound figure of bench/e2e.sh:
//   build/strm_bench --crypto-bound FILE [ROWS]
// reads the first ROWS (default 1000000) rows of a `strm simulate batch-data` file, keeps
// Email, PrivateFieldA and PrivateFieldB, then encrypts them in a tight loop as the engine
// does (RowEncryptor, eight rows at a time, each row under its own key, then base64), and
// prints one line: rows, fields, seconds, rows/s, ns/row.
#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/bytes.h"
#include "core/stream.h"
#include "formats/csv_reader.h"
#include "formats/csv_writer.h"
#include "formats/timestamp_format.h"
#include "jobs/key_cache.h"
#include "jobs/simulate_batch_data.h"
#include "privacy/masking.h"
#include "privacy/row_encryptor.h"
#include "privacy/simple_regex.h"
#include "privacy/tink_keyset.h"
#include "storage/local_store.h"

namespace strm {
namespace {

constexpr size_t kCsvBytes = 4 << 20;
// Columns of the simulated input.
constexpr size_t kSessionId = 0, kUserName = 1, kTimestamp = 2, kEmail = 3, kPublicA = 4,
                 kPublicB = 5, kPrivateA = 6, kPrivateB = 7, kPlane = 8;

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "strm_bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}

// An InputStream over bytes the caller owns, so that the parse benchmark copies nothing.
class ViewInputStream final : public InputStream {
 public:
  explicit ViewInputStream(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override {
    n = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// About 4 MiB of simulated rows (header included), cut after a whole record.
const std::string& SimulatedCsv() {
  static const std::string text = [] {
    BatchDataSpec spec;
    spec.rows = 40000;  // about 6 MiB
    spec.users = 100000;
    spec.days = 7;
    StringOutputStream out;
    Check(WriteSimulatedBatchData(spec, out), "simulate");
    Check(out.Commit(), "simulate");
    std::string s = out.committed();
    if (s.size() > kCsvBytes) s.resize(s.rfind('\n', kCsvBytes - 1) + 1);
    return s;
  }();
  return text;
}

// The data rows of SimulatedCsv(), as strings.
const std::vector<std::vector<std::string>>& SimulatedRows() {
  static const std::vector<std::vector<std::string>> rows = [] {
    ViewInputStream in(SimulatedCsv());
    CsvBlockReader reader(&in);
    CsvRecords records;
    std::vector<std::vector<std::string>> out;
    bool header = true;
    for (;;) {
      CsvBlock block = Check(reader.Next(), "read");
      if (block.data.empty()) break;
      Check(records.Parse(block, true), "parse");
      for (size_t i = 0; i < records.size(); ++i) {
        if (std::exchange(header, false)) continue;
        out.emplace_back(records[i].begin(), records[i].end());
      }
    }
    return out;
  }();
  return rows;
}

std::vector<std::string> Column(size_t col) {
  std::vector<std::string> v;
  for (const auto& r : SimulatedRows()) v.push_back(r[col]);
  return v;
}

size_t TotalSize(const std::vector<std::string>& v) {
  size_t n = 0;
  for (const auto& s : v) n += s.size();
  return n;
}

TinkKeyset FixedKeyset(uint32_t n) {
  std::array<uint8_t, 68> random{};
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<uint8_t>(i * 31 + n * 7 + 1);
  std::memcpy(random.data() + 64, &n, sizeof n);
  return TinkKeysetFromRandom(random);
}

// ---- CSV parse ----------------------------------------------------------------------------

void BM_CsvParse(benchmark::State& state) {
  const std::string& text = SimulatedCsv();
  const bool validate = state.range(0) != 0;
  CsvRecords records;
  size_t rows = 0;
  for (auto _ : state) {
    ViewInputStream in(text);
    CsvBlockReader reader(&in);
    for (;;) {
      CsvBlock block = Check(reader.Next(), "read");
      if (block.data.empty()) break;
      Check(records.Parse(block, validate), "parse");
      rows += records.size();
      benchmark::DoNotOptimize(records[records.size() - 1].data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.SetLabel(validate ? "validate_utf8" : "no utf8 check (engine)");
}
BENCHMARK(BM_CsvParse)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// ---- Timestamp parse ----------------------------------------------------------------------

void BM_TimestampParse(benchmark::State& state) {
  const std::vector<std::string> values = Column(kTimestamp);
  TimestampFormat format =
      Check(TimestampFormat::Compile("yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "UTC"), "compile");
  for (auto _ : state) {
    for (const std::string& v : values) {
      Result<int64_t> ms = format.ParseEpochMillis(v);
      if (!ms.ok()) Die("timestamp " + v, ms.status());
      benchmark::DoNotOptimize(*ms);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * values.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * TotalSize(values)));
}
BENCHMARK(BM_TimestampParse);

// ---- Key lookup -----------------------------------------------------------------------------

std::string& TempHome() {
  static std::string dir;
  return dir;
}

// A fresh catalog in its own directory under TempHome() (removed by main()).
std::unique_ptr<Catalog> FreshCatalog() {
  static int n = 0;
  if (TempHome().empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strm-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("strm_bench: mkdtemp");
      std::exit(1);
    }
    TempHome() = tmpl;
    std::atexit([] { std::filesystem::remove_all(TempHome()); });  // also after Die()
  }
  std::string home = TempHome() + "/catalog-" + std::to_string(n++);
  std::filesystem::create_directories(home);
  return Check(OpenSqliteCatalog(home), "catalog");
}

constexpr int64_t kDay = 19029;  // 2022-02-06
constexpr size_t kBlockRequests = 10000;

std::vector<std::string> UserValues(size_t n, size_t first = 0) {
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back("user_" + std::to_string(first + i));
  return v;
}

// Each iteration: a block of 10,000 requests, drawn from 100,000 values already cached.
void BM_KeyLookupCached(benchmark::State& state) {
  auto catalog = FreshCatalog();
  KeyCache cache(catalog.get(), "bench");
  const std::vector<std::string> values = UserValues(100000);
  std::vector<KeyCache::Request> requests(kBlockRequests);
  std::vector<KeyEntry*> out(kBlockRequests);
  for (size_t first = 0; first < values.size(); first += kBlockRequests) {  // warm the cache
    for (size_t i = 0; i < kBlockRequests; ++i)
      requests[i] = {cache.Identify(values[first + i], kDay), values[first + i]};
    Check(cache.Resolve(requests, out), "resolve");
  }
  Check(cache.Flush(), "flush");
  // The order of the requests: a fixed pseudo-random walk over the values.
  std::vector<uint32_t> order(1 << 20);
  uint64_t x = 88172645463325252ULL;
  for (uint32_t& o : order) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    o = static_cast<uint32_t>(x % values.size());
  }
  size_t pos = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kBlockRequests; ++i, pos = (pos + 1) & (order.size() - 1)) {
      const std::string& v = values[order[pos]];
      requests[i] = {cache.Identify(v, kDay), v};
    }
    Check(cache.Resolve(requests, out), "resolve");
    benchmark::DoNotOptimize(out.data());
  }
  if (cache.size() != values.size()) Die("lookup", Internal("cache grew during lookups"));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBlockRequests));
  state.SetLabel("keys/s");
}
BENCHMARK(BM_KeyLookupCached);

// Each iteration: a block of 10,000 new values; the keys are created, and stored in the
// catalog (the cache stores them every 65,536 keys; the last iteration's time includes the
// final Flush, so every created key is also stored).
void BM_KeyCreate(benchmark::State& state) {
  auto catalog = FreshCatalog();
  KeyCache cache(catalog.get(), "bench");
  std::vector<KeyCache::Request> requests(kBlockRequests);
  std::vector<KeyEntry*> out(kBlockRequests);
  size_t next = 0;
  int64_t done = 0;
  for (auto _ : state) {
    const std::vector<std::string> values = UserValues(kBlockRequests, next);  // untimed
    next += kBlockRequests;
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kBlockRequests; ++i)
      requests[i] = {cache.Identify(values[i], kDay), values[i]};
    Check(cache.Resolve(requests, out), "resolve");
    if (++done == static_cast<int64_t>(state.max_iterations)) Check(cache.Flush(), "flush");
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBlockRequests));
  state.SetLabel("keys/s");
}
BENCHMARK(BM_KeyCreate)->UseManualTime()->Unit(benchmark::kMillisecond);

// ---- AES-SIV per field --------------------------------------------------------------------

void BM_AesSivField(benchmark::State& state) {
  const std::vector<std::string> values = Column(kEmail);  // 19 bytes each
  DeterministicAead aead(FixedKeyset(1));
  std::string out;
  out.reserve(256);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    aead.EncryptToBase64(values[i], out);
    benchmark::DoNotOptimize(out.data());
    if (++i == values.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * values[0].size()));
  state.SetLabel("fields/s, Email values");
}
BENCHMARK(BM_AesSivField);

// A row of the demo: Rekey to the row's keyset, then its 3 PII fields, to base64: one by one
// (Arg 0), or in one EncryptMany as the engine does (Arg 1).
void BM_AesSivRekeyRow(benchmark::State& state) {
  const bool many = state.range(0) == 1;
  const std::vector<std::string> email = Column(kEmail), a = Column(kPrivateA),
                                 b = Column(kPrivateB);
  std::vector<TinkKeyset> keysets;
  for (uint32_t k = 0; k < 1024; ++k) keysets.push_back(FixedKeyset(k + 1));
  DeterministicAead aead(keysets[0]);
  std::string out;
  out.reserve(256);
  uint8_t raw[3][256];
  uint8_t* raw_out[3] = {raw[0], raw[1], raw[2]};
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    aead.Rekey(keysets[i & 1023]);
    out.clear();
    const std::string_view values[3] = {email[i], a[i], b[i]};
    if (many) {
      aead.EncryptMany(values, raw_out);
      for (size_t c = 0; c < 3; ++c)
        AppendBase64({raw[c], DeterministicAead::kOverhead + values[c].size()}, out);
    } else {
      for (std::string_view v : values) aead.EncryptToBase64(v, out);
    }
    benchmark::DoNotOptimize(out.data());
    bytes += email[i].size() + a[i].size() + b[i].size();
    if (++i == email.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 3));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel(many ? "fields/s, Rekey + EncryptMany of 3 fields (the engine's path)"
                      : "fields/s, Rekey + 3 fields one by one");
}
BENCHMARK(BM_AesSivRekeyRow)->Arg(0)->Arg(1);

// The same rows through RowEncryptor, 8 at a time, each under its own key (the engine's path).
void BM_RowEncryptor(benchmark::State& state) {
  const std::vector<std::string> email = Column(kEmail), a = Column(kPrivateA),
                                 b = Column(kPrivateB);
  std::vector<TinkKeyset> keysets;
  for (uint32_t k = 0; k < 1024; ++k) keysets.push_back(FixedKeyset(k + 1));
  constexpr size_t kGroup = RowEncryptor::kRowsAtOnce;
  RowEncryptor encryptor;
  std::string out;
  out.reserve(2048);
  uint8_t raw[kGroup][3][256];
  uint8_t* raw_out[kGroup][3];
  std::string_view values[kGroup][3];
  RowToEncrypt rows[kGroup];
  for (size_t g = 0; g < kGroup; ++g)
    for (size_t c = 0; c < 3; ++c) raw_out[g][c] = raw[g][c];
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    for (size_t g = 0; g < kGroup; ++g) {
      values[g][0] = email[i];
      values[g][1] = a[i];
      values[g][2] = b[i];
      rows[g] = {&keysets[i & 1023], values[g], raw_out[g]};
      bytes += email[i].size() + a[i].size() + b[i].size();
      if (++i == email.size()) i = 0;
    }
    encryptor.Encrypt(rows);
    out.clear();
    for (size_t g = 0; g < kGroup; ++g)
      for (size_t c = 0; c < 3; ++c)
        AppendBase64({raw[g][c], DeterministicAead::kOverhead + values[g][c].size()}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kGroup * 3));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel("fields/s, 8 rows of 3 fields, each row under its own key");
}
BENCHMARK(BM_RowEncryptor);

// ---- base64 -------------------------------------------------------------------------------

void BM_Base64(benchmark::State& state) {
  std::vector<Bytes> inputs(1024);
  for (Bytes& b : inputs) b = SecureRandomBytes(41);  // prefix + SIV + a 20-byte field
  std::string out;
  out.reserve(128);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    AppendBase64(inputs[i++ & 1023], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 41));
}
BENCHMARK(BM_Base64);

// ---- validation regex --------------------------------------------------------------------

// The demo contract's rule on the Email column: RE2 (Arg 0) or SimpleRegex (Arg 1).
void BM_ValidateEmail(benchmark::State& state) {
  const std::vector<std::string> values = Column(kEmail);
  const char* pattern = "^[^@]+@[^@]+$";
  RE2 re(pattern, RE2::Quiet);
  const std::optional<SimpleRegex> simple = SimpleRegex::Compile(pattern);
  size_t i = 0, matched = 0;
  for (auto _ : state) {
    matched += state.range(0) == 0 ? RE2::FullMatch(values[i], re) : *simple->Match(values[i]);
    if (++i == values.size()) i = 0;
  }
  if (matched != static_cast<size_t>(state.iterations()))
    state.SkipWithError("a demo email did not match");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ValidateEmail)->Arg(0)->Arg(1);

// ---- MurmurHash3 --------------------------------------------------------------------------

void BM_Murmur3(benchmark::State& state) {
  const std::vector<std::string> values = Column(kEmail);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    Hash128 h = Murmur3X64_128(AsBytes(values[i]));
    benchmark::DoNotOptimize(h);
    bytes += values[i].size();
    if (++i == values.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Murmur3);

// The derived output's masks: Email and UserName, alternately.
void BM_MaskMurmur(benchmark::State& state) {
  const std::vector<std::string> email = Column(kEmail), user = Column(kUserName);
  Masker masker(HashType::kMurmur3_128, "hi-there");
  std::string out;
  out.reserve(128);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& v = (i & 1) ? user[i >> 1] : email[i >> 1];
    out.clear();
    masker.MaskTo(v, out);
    benchmark::DoNotOptimize(out.data());
    bytes += v.size();
    if (++i == 2 * email.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel("fields/s, Email and UserName");
}
BENCHMARK(BM_MaskMurmur);

// ---- CSV write ----------------------------------------------------------------------------

// Rows of the encrypted output: the 8 schema fields (3 encrypted) and the 6 strmMeta fields.
void BM_CsvWrite(benchmark::State& state) {
  const auto& rows = SimulatedRows();
  const size_t n = std::min<size_t>(rows.size(), 10000);
  DeterministicAead aead(FixedKeyset(1));
  TimestampFormat format =
      Check(TimestampFormat::Compile("yyyy-MM-dd HH.mm.ss.nnnnnn:Z", "UTC"), "compile");
  static constexpr std::string_view kConsent[] = {"[0]", "[0,1]", "[0,1,2]"};
  std::vector<std::array<std::string, 14>> records(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& r = rows[i];
    auto& rec = records[i];
    std::string enc[3];
    aead.EncryptToBase64(r[kEmail], enc[0]);
    aead.EncryptToBase64(r[kPrivateA], enc[1]);
    aead.EncryptToBase64(r[kPrivateB], enc[2]);
    rec = {r[kSessionId],
           r[kUserName],
           enc[0],
           r[kPublicA],
           r[kPublicB],
           enc[1],
           enc[2],
           r[kPlane],
           "databert-handle/batch_job_public/1.0.0",
           "0",
           std::to_string(Check(format.ParseEpochMillis(r[kTimestamp]), "timestamp")),
           NewUuidV4(),
           "",
           std::string(kConsent[r[kPlane][0] - '0'])};
  }
  std::vector<std::array<std::string_view, 14>> views(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t f = 0; f < 14; ++f) views[i][f] = records[i][f];
  std::string out;
  out.reserve(8 << 20);
  for (auto _ : state) {
    out.clear();
    for (const auto& v : views) AppendCsvRecord(out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.SetLabel("records/s, 14 fields");
}
BENCHMARK(BM_CsvWrite)->Unit(benchmark::kMillisecond);

// ---- crypto-bound mode --------------------------------------------------------------------

int CryptoBound(const std::string& file, uint64_t max_rows) {
  namespace fs = std::filesystem;
  const fs::path path = fs::absolute(file);
  auto store = Check(OpenLocalStore(path.parent_path().string()), "open store");
  auto in = Check(store->OpenRead(path.filename().string()), file);
  CsvBlockReader reader(in.get());
  CsvRecords records;
  // The values of each row, one after another in one buffer.
  std::string arena;
  std::vector<uint32_t> ends;  // end offset of each value, 3 per row
  size_t col[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
  bool header = true;
  uint64_t rows = 0;
  while (rows < max_rows) {
    CsvBlock block = Check(reader.Next(), file);
    if (block.data.empty()) break;
    Check(records.Parse(block, false), file);
    for (size_t i = 0; i < records.size() && rows < max_rows; ++i) {
      auto fields = records[i];
      if (header) {
        header = false;
        static constexpr std::string_view kNames[3] = {"Email", "PrivateFieldA", "PrivateFieldB"};
        for (size_t c = 0; c < 3; ++c) {
          auto it = std::find(fields.begin(), fields.end(), kNames[c]);
          if (it == fields.end()) Die(file, InvalidArgument("no column " + std::string(kNames[c])));
          col[c] = static_cast<size_t>(it - fields.begin());
        }
        continue;
      }
      for (size_t c : col) {
        if (c >= fields.size()) Die(file, InvalidArgument("short row " + std::to_string(rows)));
        arena += fields[c];
        ends.push_back(static_cast<uint32_t>(arena.size()));
      }
      ++rows;
    }
    if (arena.size() > (uint64_t{3} << 30)) break;  // keeps offsets in 32 bits
  }
  if (rows == 0) Die(file, InvalidArgument("no data rows"));

  std::vector<TinkKeyset> keysets;
  for (uint32_t k = 0; k < 1024; ++k) keysets.push_back(GenerateTinkKeyset());
  RowEncryptor encryptor;
  std::string out;
  out.reserve(2 << 20);
  size_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  size_t begin = 0;
  // As the engine does: rows in groups of RowEncryptor::kRowsAtOnce, each row under its own
  // key, its 3 fields encrypted in one call for the group, then base64.
  constexpr size_t kGroup = RowEncryptor::kRowsAtOnce;
  uint8_t raw[kGroup][3][DeterministicAead::kOverhead + 512];
  uint8_t* raw_out[kGroup][3];
  std::string_view values[kGroup][3];
  RowToEncrypt group[kGroup];
  for (size_t g = 0; g < kGroup; ++g)
    for (size_t c = 0; c < 3; ++c) raw_out[g][c] = raw[g][c];
  for (uint64_t r0 = 0; r0 < rows; r0 += kGroup) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kGroup, rows - r0));
    for (size_t g = 0; g < n; ++g) {
      for (size_t c = 0; c < 3; ++c) {
        const size_t end = ends[(r0 + g) * 3 + c];
        values[g][c] = std::string_view(arena).substr(begin, std::min<size_t>(end - begin, 512));
        begin = end;
      }
      group[g] = {&keysets[(r0 + g) & 1023], values[g], raw_out[g]};
    }
    encryptor.Encrypt({group, n});
    for (size_t g = 0; g < n; ++g)
      for (size_t c = 0; c < 3; ++c)
        AppendBase64({raw[g][c], DeterministicAead::kOverhead + values[g][c].size()}, out);
    if (out.size() > (1 << 20)) {  // like the engine's block buffers
      checksum += static_cast<unsigned char>(out.back());
      out.clear();
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  benchmark::DoNotOptimize(checksum);
  std::printf("crypto-bound rows=%llu fields=%llu seconds=%.3f rows_per_s=%.0f ns_per_row=%.1f\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(rows * 3),
              secs, static_cast<double>(rows) / secs, secs * 1e9 / static_cast<double>(rows));
  return 0;
}

}  // namespace
}  // namespace strm

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--crypto-bound") == 0) {
    if (argc < 3 || argc > 4) {
      std::fprintf(stderr, "usage: %s --crypto-bound FILE [ROWS]\n", argv[0]);
      return 2;
    }
    const uint64_t rows = argc == 4 ? std::strtoull(argv[3], nullptr, 10) : 1000000;
    return strm::CryptoBound(argv[2], rows);
  }
  // A fixed master key, so the benchmark catalogs need no key file.
  setenv("STRM_MASTER_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;  // the temporary catalogs are removed at exit (FreshCatalog)
}
