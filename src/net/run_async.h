// RunAsync: runs a function on a thread of its own (std::async), for the background work of
// chunked_upload.h and ranged_reader.h; where no thread can be started, the function runs
// when its result is asked for, so the work is done either way.
#pragma once

#include <future>
#include <memory>
#include <system_error>
#include <utility>

namespace strm {

template <typename F>
auto RunAsync(F f) {
  auto shared = std::make_shared<F>(std::move(f));  // still ours if no thread can start
  try {
    return std::async(std::launch::async, [shared] { return (*shared)(); });
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, [shared] { return (*shared)(); });
  }
}

}  // namespace strm
