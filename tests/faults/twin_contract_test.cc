// The store twins keep the ObjectStore contract through the real connectors (the checks that
// the connectors' own tests run against s3rver, gcs_server.js and Azurite), so that what the
// fault tests find is about strm and not about a twin.
#include <gtest/gtest.h>

#include "storage/object_store_contract.h"
#include "store_twin.h"

namespace strm::testing {
namespace {

RetryPolicy NoRetries() {
  RetryPolicy p;
  p.max_attempts = 1;
  return p;
}

class TwinContract : public ::testing::TestWithParam<Remote> {};

TEST_P(TwinContract, KeepsTheObjectStoreContract) {
  StoreTwin twin(GetParam(), NoRetries());
  auto opened = twin.Open();
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  ObjectStore& store = **opened;
  ExpectCommitIsAtomic(store, "atomic/", 12 << 20);  // multipart, resumable, blocks
  ExpectObjectSemantics(store, "semantics/");
  ExpectListingIsCompleteAndSorted(store, "pages/", 25);
  ExpectCopyAndTemporaries(store, "copies/");
  EXPECT_EQ(twin.PendingUploads(), 0u);
  EXPECT_TRUE(twin.objects().Contents().empty());
  for (const FaultTransport::Exchange& e : twin.faults().exchanges())
    EXPECT_TRUE(e.status >= 200 && e.status < 500 && e.status != 400 && e.status != 401)
        << e.method << " " << e.url << ": " << e.status;
}

INSTANTIATE_TEST_SUITE_P(Remotes, TwinContract,
                         ::testing::Values(Remote::kS3, Remote::kGcs, Remote::kAzure),
                         [](const auto& info) { return std::string(RemoteName(info.param)); });

}  // namespace
}  // namespace strm::testing
