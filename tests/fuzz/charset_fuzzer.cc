// Fuzzes charset conversion (NewUtf8Converter): any bytes in any supported charset read to
// UTF-8 up to a clean end, with the whole input consumed, or up to an error that names the
// offset of the bad sequence, every byte before it converted. Nothing depends on how the
// input is cut into reads; ISO-8859-1 round-trips byte for byte; UTF-8 passes unchanged.
//   input: [charset byte][source chunk byte][read size byte][repeat byte] bytes...
// The charset byte indexes kCharsets (modulo its size): append to it, never reorder, so
// that the seeds in tests/fuzz/corpus/charset keep their charset. A repeat byte >= 0xE0
// repeats the bytes 8 to 256 times, so that the converter's 64 KiB buffers fill.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/stream.h"
#include "formats/charset.h"

namespace strm {
namespace {

constexpr std::string_view kCharsets[] = {
    "ISO-8859-1", "UTF-16",       "UTF-16LE",           "UTF-16BE",
    "UTF-32",     "WINDOWS-1252", "ISO-8859-2",         "ISO-8859-15",
    "MACINTOSH",  "US-ASCII",     "SHIFT_JIS",          "EUC-JP",
    "GB18030",    "BIG5",         "ISO-2022-JP",        "UTF-7",
    "Cp1252",     "ISO8859_1",    "UnicodeBigUnmarked", "x-UTF-16LE-BOM",
    "UTF-8",
};
constexpr size_t kNumCharsets = sizeof(kCharsets) / sizeof(kCharsets[0]);
constexpr size_t kMaxReadSize = size_t{1} << 17;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "charset_fuzzer: %s\n", what);
    std::abort();
  }
}

// A StringInputStream that remembers whether it was read to its end.
class Source final : public InputStream {
 public:
  Source(std::string data, size_t max_chunk, bool* at_end)
      : in_(std::move(data), max_chunk), at_end_(at_end) {}
  Result<size_t> Read(char* buf, size_t n) override {
    Result<size_t> r = in_.Read(buf, n);
    if (r.ok() && *r == 0 && n > 0) *at_end_ = true;
    return r;
  }

 private:
  StringInputStream in_;
  bool* at_end_;
};

struct Converted {
  std::string data;  // everything read before the end or the error
  Status status;
};

// Converts `data` from `charset`, the source handing out at most `max_chunk` bytes a read
// and the converter being read `read_size` (<= kMaxReadSize) bytes at a time.
Converted Convert(const std::string& data, std::string_view charset, size_t max_chunk,
                  size_t read_size) {
  bool at_end = false;
  auto in = NewUtf8Converter(std::make_unique<Source>(data, max_chunk, &at_end), charset);
  Check(in.ok(), "a supported charset is unknown");
  Converted out;
  static std::string buf(kMaxReadSize, '\0');  // allocated once: 128 KiB are slow under ASan
  for (;;) {
    Result<size_t> n = (*in)->Read(buf.data(), read_size);
    if (!n.ok()) {
      out.status = n.status();
      return out;
    }
    if (*n == 0) break;
    Check(*n <= read_size, "read more than asked");
    out.data.append(buf, 0, *n);
  }
  Check(at_end, "the conversion ended before the input did");
  Result<size_t> again = (*in)->Read(buf.data(), read_size);
  Check(again.ok() && *again == 0, "a read after the end returned data or an error");
  return out;
}

// The offset N of "invalid <charset> byte sequence at byte offset N", or SIZE_MAX.
size_t ErrorOffset(const Status& status, std::string_view charset) {
  const std::string prefix = "invalid " + std::string(charset) + " byte sequence at byte offset ";
  const std::string& m = status.message();
  if (m.compare(0, prefix.size(), prefix) != 0 || m.size() == prefix.size()) return SIZE_MAX;
  size_t n = 0;
  for (size_t i = prefix.size(); i < m.size(); ++i) {
    if (m[i] < '0' || m[i] > '9' || n > SIZE_MAX / 20) return SIZE_MAX;
    n = n * 10 + static_cast<size_t>(m[i] - '0');
  }
  return n;
}

// Decodes UTF-8 (already checked valid) back to ISO-8859-1 bytes; false for code points
// over U+00FF.
bool Utf8ToLatin1(std::string_view utf8, std::string& out) {
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (utf8[++i] & 0x3F));
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace strm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  using namespace strm;
  if (size < 4) return 0;
  const std::string_view charset = kCharsets[bytes[0] % kNumCharsets];
  const size_t max_chunk = bytes[1] == 0 ? SIZE_MAX : bytes[1];
  const size_t read_size = bytes[2] == 0 ? kMaxReadSize : bytes[2];
  const size_t repeat = bytes[3] < 0xE0 ? 1 : (bytes[3] - 0xDF) * size_t{8};
  const std::string_view tail(reinterpret_cast<const char*>(bytes) + 4, size - 4);
  std::string data;
  data.reserve(tail.size() * repeat);
  for (size_t i = 0; i < repeat; ++i) data += tail;

  const Converted small = Convert(data, charset, max_chunk, read_size);
  const Converted big = Convert(data, charset, SIZE_MAX, kMaxReadSize);
  Check(small.status.message() == big.status.message(), "the read sizes change the error");
  Check(small.data == big.data, "the read sizes change the output");

  if (IsUtf8Charset(charset)) {  // no conversion: the CSV parser validates UTF-8 itself
    Check(big.status.ok() && big.data == data, "UTF-8 is not passed through unchanged");
    return 0;
  }
  Check(IsValidUtf8(big.data), "the output is not valid UTF-8");
  if (!big.status.ok()) {
    // The error names the first input byte of the bad sequence; everything before it was
    // converted, as converting just those bytes does. Not so in the charsets with shift
    // states: glibc reads ISO-2022-JP's "ESC $" before a bad byte as two characters, but at
    // the end of the input as an escape sequence cut off.
    const size_t at = ErrorOffset(big.status, charset);
    Check(at < data.size(), "the error does not name an offset inside the input");
    if (charset == "ISO-2022-JP" || charset == "UTF-7") return 0;
    const Converted prefix = Convert(data.substr(0, at), charset, SIZE_MAX, kMaxReadSize);
    Check(prefix.status.ok(), "the input before the bad sequence does not convert");
    Check(prefix.data == big.data, "the output before the error is not the input before it");
  }
  if (charset == "ISO-8859-1" || charset == "ISO8859_1") {  // every byte is one code point
    Check(big.status.ok(), "ISO-8859-1 refused a byte");
    std::string back;
    Check(Utf8ToLatin1(big.data, back), "ISO-8859-1 gave a code point over U+00FF");
    Check(back == data, "ISO-8859-1 does not round-trip byte for byte");
  }
  return 0;
}
