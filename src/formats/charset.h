// Charset conversion to UTF-8 (iconv), as a stream wrapper, so files in any charset that
// glibc's iconv knows (ISO-8859-1, windows-1252, UTF-16 with BOM, ...) read as UTF-8.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/result.h"
#include "core/stream.h"

namespace strm {

// True for the names of UTF-8 ("UTF-8", "utf8", case-insensitive), for which no conversion
// is needed (the CSV parser validates UTF-8 instead).
bool IsUtf8Charset(std::string_view charset);

// Wraps `in` (owned) so that reads return UTF-8; for a UTF-8 charset returns `in` itself.
// Java names that glibc lacks ("Cp1252", "ISO8859_1", "UnicodeBigUnmarked") are mapped.
// InvalidArgument if iconv does not know the charset ("unknown charset 'X'"). A byte
// sequence invalid in the charset (or cut off by the end of the input) fails the read, after
// the bytes converted before it, with "invalid ISO-8859-2 byte sequence at byte offset N"
// (N counts the input bytes before the sequence).
Result<std::unique_ptr<InputStream>> NewUtf8Converter(std::unique_ptr<InputStream> in,
                                                      std::string_view charset);

// Checks that `s` is valid UTF-8 (no overlongs, surrogates or code points over U+10FFFF).
bool IsValidUtf8(std::string_view s);
// The offset of the first byte of the first invalid sequence in `s`, or npos if valid.
size_t FindInvalidUtf8(std::string_view s);

}  // namespace strm
