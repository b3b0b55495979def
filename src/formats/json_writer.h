// JSON text of nlohmann::json values, appended to a string: the same bytes as
// `dump(-1, ' ', false, error_handler_t::replace)` (compact, UTF-8 as is, invalid UTF-8
// replaced by U+FFFD), without the serializer and output adapter that each dump() allocates.
// Events are written this way once per event (streams/stream_events.h), where dump()'s set-up
// cost more than the rest of the work.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace strm {

void AppendJson(const nlohmann::json& value, std::string& out);
void AppendJsonString(std::string_view s, std::string& out);

}  // namespace strm
