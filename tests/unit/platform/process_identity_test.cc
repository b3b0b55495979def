#include "platform/process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace strm {
namespace {

int64_t DeadPid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(ProcessIdentity, ThisProcessIsAlive) {
  ProcessIdentity me = CurrentProcess();
  EXPECT_EQ(me.pid, ::getpid());
  EXPECT_GT(me.start_ticks, 0u);
  EXPECT_FALSE(me.host.empty());
  EXPECT_TRUE(MayBeAlive(me));
}

TEST(ProcessIdentity, AReusedPidIsNotTheSameProcess) {
  ProcessIdentity me = CurrentProcess();
  me.start_ticks += 1;
  EXPECT_FALSE(MayBeAlive(me));
}

TEST(ProcessIdentity, AnEndedProcessIsNotAlive) {
  ProcessIdentity gone = CurrentProcess();
  gone.pid = DeadPid();
  EXPECT_FALSE(MayBeAlive(gone));
}

TEST(ProcessIdentity, OtherHostsAndMissingRecordsAreAssumedAlive) {
  ProcessIdentity other = CurrentProcess();
  other.host = "some-other-host";
  other.pid = DeadPid();
  EXPECT_TRUE(MayBeAlive(other));
  EXPECT_TRUE(MayBeAlive(ProcessIdentity::FromJson(nullptr)));
}

TEST(ProcessIdentity, RoundTripsThroughJson) {
  ProcessIdentity me = CurrentProcess();
  ProcessIdentity back = ProcessIdentity::FromJson(me.ToJson());
  EXPECT_EQ(back.host, me.host);
  EXPECT_EQ(back.pid, me.pid);
  EXPECT_EQ(back.start_ticks, me.start_ticks);
}

}  // namespace
}  // namespace strm
