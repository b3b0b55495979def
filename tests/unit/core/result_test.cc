#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strm {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  STRM_ASSIGN_OR_RETURN(int h, Half(x));
  STRM_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  STRM_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd number 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).message(), "odd number 5");
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(Status, AddsContext) {
  Status s = NotFound("no such file");
  EXPECT_EQ(s.WithContext("data connector 'x'").message(), "data connector 'x': no such file");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

}  // namespace
}  // namespace strm
