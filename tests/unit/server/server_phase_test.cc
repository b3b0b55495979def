#include "server/server_phase.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strm::server {
namespace {

using ::testing::Contains;
using ::testing::Pair;

TEST(ServerPhaseTest, RefusesWithTheSentenceOfItsPhaseUntilReadyAndOnceStopping) {
  ServerPhase phase;
  auto starting = phase.Refusal("/event");
  ASSERT_TRUE(starting);
  EXPECT_EQ(starting->status, 503);
  EXPECT_EQ(starting->body, "the server is starting\n");
  EXPECT_THAT(starting->headers, Contains(Pair("Retry-After", "1")));

  phase.Set(ServerPhase::kReady);
  EXPECT_FALSE(phase.Refusal("/event"));
  EXPECT_FALSE(phase.Refusal("/api/v1/streams"));

  phase.Set(ServerPhase::kStopping);
  auto event = phase.Refusal("/event");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->status, 503);
  EXPECT_EQ(event->body, "the server is stopping\n") << "plain text, as STRM's gateway answers";
  EXPECT_THAT(event->headers, Contains(Pair("Content-Type", "text/plain; charset=utf-8")));
  auto events = phase.Refusal("/events");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->body, "the server is stopping\n");
  auto api = phase.Refusal("/api/v1/streams");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 503);
  EXPECT_THAT(api->body, ::testing::HasSubstr("the server is stopping")) << "the API's JSON error";
  EXPECT_EQ(api->body.front(), '{');
}

}  // namespace
}  // namespace strm::server
