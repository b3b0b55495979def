#include "net/ranged_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "core/stream.h"

namespace strm {
namespace {

// An object behind ranged GETs, with the misbehaviours a reader must survive.
struct Object {
  std::mutex mu;
  std::string data;
  std::string version = "\"v1\"";
  std::vector<std::string> asked;  // "first-last@version" of each GET
  int break_after = -1;            // the next GET breaks after this many bytes (once)
  int64_t break_first = -1;        // ... if it asks from this byte (-1: whichever it asks)
  bool whole = false;              // answer 200 with every byte, whatever the range
  bool head = false;               // the store knows size and version before any range
  int unavailable = 0;             // the next GETs answer 503
};

class Ranges final : public RangeSource {
 public:
  explicit Ranges(Object* o) : o_(o) {}

  Result<std::optional<RangedObject>> Head() override {
    std::lock_guard<std::mutex> lock(o_->mu);
    if (!o_->head) return std::nullopt;
    return std::optional<RangedObject>(RangedObject{o_->data.size(), o_->version});
  }

  Result<HttpResponse> GetRange(uint64_t first, uint64_t last, const std::string& version,
                                const HttpBodySink& sink, Status&) override {
    std::unique_lock<std::mutex> lock(o_->mu);
    o_->asked.push_back(std::to_string(first) + "-" + std::to_string(last) + "@" + version);
    HttpResponse r;
    if (o_->unavailable > 0) {
      --o_->unavailable;
      r.status = 503;
      return r;
    }
    if (!version.empty() && version != o_->version) {
      r.status = 412;
      r.body = "<Error><Code>ConditionNotMet</Code><Message>changed</Message></Error>";
      return r;
    }
    r.headers = {{"etag", o_->version}};
    std::string body;
    if (o_->whole) {
      r.status = 200;
      body = o_->data;
    } else if (o_->data.empty()) {
      r.status = 416;
      return r;
    } else {
      const uint64_t end = std::min<uint64_t>(last, o_->data.size() - 1);
      r.status = 206;
      r.headers.push_back({"content-range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(end) + "/" +
                                                std::to_string(o_->data.size())});
      body = o_->data.substr(first, end - first + 1);
    }
    int cut = -1;
    if (o_->break_first < 0 || static_cast<int64_t>(first) == o_->break_first) {
      cut = o_->break_after;
      o_->break_after = -1;
    }
    lock.unlock();
    if (cut >= 0 && static_cast<size_t>(cut) < body.size()) {
      STRM_RETURN_IF_ERROR(sink(std::string_view(body).substr(0, cut)));
      return Unavailable("GET http://h/k failed: Recv failure: Connection reset by peer");
    }
    STRM_RETURN_IF_ERROR(sink(body));
    return r;
  }

  std::string VersionOf(const HttpResponse& r) const override {
    const std::string* e = r.FindHeader("etag");
    return e != nullptr ? *e : "";
  }

 private:
  Object* o_;
};

RangedReaderOptions Options(size_t chunk) {
  RangedReaderOptions o;
  o.what = "T GET t://b/k";
  o.retry.sleep = [](std::chrono::milliseconds) {};
  o.chunk_size = chunk;
  return o;
}

std::string Data(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

Result<std::string> ReadEverything(InputStream& in) {
  std::string out;
  char buf[7];
  for (;;) {
    STRM_ASSIGN_OR_RETURN(size_t n, in.Read(buf, sizeof buf));
    if (n == 0) return out;
    out.append(buf, n);
  }
}

TEST(RangedReader, ReadsRangeByRangePinnedToTheFirstVersion) {
  Object o;
  o.data = Data(25);
  auto in = OpenRangedReader(std::make_shared<Ranges>(&o), Options(10));
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(*ReadEverything(**in), o.data);
  EXPECT_EQ(*(*in)->Read(nullptr, 0), 0u);
  EXPECT_EQ(o.asked, (std::vector<std::string>{"0-9@", "10-19@\"v1\"", "20-24@\"v1\""}));
}

TEST(RangedReader, ResumesABrokenRangeAtTheFirstMissingByte) {
  Object o;
  o.data = Data(25);
  o.break_after = 4;
  o.break_first = 10;  // the second range
  auto in = OpenRangedReader(std::make_shared<Ranges>(&o), Options(10));
  ASSERT_TRUE(in.ok());
  auto all = ReadEverything(**in);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(*all, o.data);
  // The broken range is asked again from its first missing byte; the next range may have
  // been asked before or after that (it is prefetched), so the order is not checked.
  ASSERT_EQ(o.asked.size(), 4u);
  EXPECT_THAT(o.asked, ::testing::UnorderedElementsAre("0-9@", "10-19@\"v1\"", "14-19@\"v1\"",
                                                       "20-24@\"v1\""))
      << "only what was missing";

  // The first range has no version to resume against: it starts over.
  Object first;
  first.data = Data(25);
  first.break_after = 3;
  in = OpenRangedReader(std::make_shared<Ranges>(&first), Options(10));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*ReadEverything(**in), first.data);
  EXPECT_EQ(first.asked[0], "0-9@");
  EXPECT_EQ(first.asked[1], "0-9@");
}

TEST(RangedReader, FailsWhenTheObjectChangesWhileRead) {
  Object o;
  o.data = Data(40);
  auto in = OpenRangedReader(std::make_shared<Ranges>(&o), Options(10));
  ASSERT_TRUE(in.ok());
  {
    std::lock_guard<std::mutex> lock(o.mu);
    o.version = "\"v2\"";
  }
  auto all = ReadEverything(**in);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(all.status().message(),
            "T GET t://b/k: the object was replaced or deleted while being read (HTTP 412 "
            "ConditionNotMet (changed))");
  EXPECT_EQ((*in)->Read(nullptr, 1).status().message(), all.status().message()) << "it sticks";
}

TEST(RangedReader, KnowsEmptyAndWholeAnswersAndRefusesTooMuch) {
  Object empty;
  auto in = OpenRangedReader(std::make_shared<Ranges>(&empty), Options(10));
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(*ReadEverything(**in), "") << "416 at byte 0: an empty object";

  Object small;
  small.data = Data(8);
  small.whole = true;
  in = OpenRangedReader(std::make_shared<Ranges>(&small), Options(10));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*ReadEverything(**in), small.data) << "a 200 that fits is the object";

  Object big;
  big.data = Data(30);
  big.whole = true;
  in = OpenRangedReader(std::make_shared<Ranges>(&big), Options(10));
  EXPECT_EQ(in.status().code(), StatusCode::kInternal);
  EXPECT_EQ(in.status().message(),
            "T GET t://b/k: the server sent more than the 10 bytes asked for");
}

TEST(RangedReader, UsesTheStoresHeadAndRetriesEachRange) {
  Object o;
  o.data = Data(25);
  o.head = true;
  o.unavailable = 2;
  auto in = OpenRangedReader(std::make_shared<Ranges>(&o), Options(10));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(*ReadEverything(**in), o.data);
  EXPECT_EQ(o.asked[0], "0-9@\"v1\"") << "pinned from the first range on";
  EXPECT_EQ(o.asked.size(), 5u) << "two 503s, then three ranges";

  Object gone;
  gone.data = Data(25);
  gone.unavailable = 100;
  RangedReaderOptions opts = Options(10);
  opts.retry.max_attempts = 3;
  in = OpenRangedReader(std::make_shared<Ranges>(&gone), opts);
  EXPECT_EQ(in.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(in.status().message(), "T GET t://b/k failed after 3 attempts: HTTP 503");
}

TEST(RangedReader, ADroppedReaderStopsItsPrefetch) {
  Object o;
  o.data = Data(1000);
  {
    auto in = OpenRangedReader(std::make_shared<Ranges>(&o), Options(10));
    ASSERT_TRUE(in.ok());
    char c;
    ASSERT_EQ(*(*in)->Read(&c, 1), 1u);
  }
  EXPECT_LE(o.asked.size(), 2u) << "one range read, at most one ahead";
}

}  // namespace
}  // namespace strm
