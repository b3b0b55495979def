#include "jobs/simulate_batch_data.h"

#include <gtest/gtest.h>

#include "formats/csv_reader.h"

namespace strm {
namespace {

TEST(SimulateBatchData, WritesTheRowsOfItsSpecReproducibly) {
  StringOutputStream a, b;
  ASSERT_TRUE(WriteSimulatedBatchData({.rows = 50, .users = 7, .days = 2, .seed = 3}, a).ok());
  ASSERT_TRUE(WriteSimulatedBatchData({.rows = 50, .users = 7, .days = 2, .seed = 3}, b).ok());
  ASSERT_TRUE(a.Commit().ok() && b.Commit().ok());
  EXPECT_EQ(a.committed(), b.committed());
  auto rows = ParseCsvDocument(a.committed());
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 51u);
  for (size_t i = 1; i < rows->size(); ++i) {
    const std::string& user = (*rows)[i][1];
    EXPECT_LT(std::stoul(user.substr(5)), 7u) << user;
    EXPECT_EQ((*rows)[i][2].substr(0, 8), "2022-02-") << "two days from 2022-02-06";
  }
}

TEST(SimulateBatchData, RefusesASpecOutOfBounds) {
  StringOutputStream out;
  EXPECT_EQ(WriteSimulatedBatchData({.rows = 5, .users = 0}, out).message(),
            "users must be from 1 to 1000000000, got 0");
  EXPECT_EQ(WriteSimulatedBatchData({.rows = 5, .days = 0}, out).message(),
            "days must be from 1 to 36500, got 0");
  EXPECT_EQ(WriteSimulatedBatchData({.rows = ~uint64_t{0}}, out).message(),
            "rows must be from 0 to 1000000000000, got 18446744073709551615");
  EXPECT_EQ(WriteSimulatedBatchData({.rows = 5, .users = 10, .days = 36501}, out).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strm
