#include "formats/charset.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace strm {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// Java charset names and aliases that glibc's iconv does not know, with glibc's name.
constexpr std::pair<std::string_view, std::string_view> kJavaAliases[] = {
    {"UnicodeBigUnmarked", "UTF-16BE"}, {"UnicodeLittleUnmarked", "UTF-16LE"},
    {"UnicodeBig", "UTF-16"},  // the BOM decides the byte order
    {"UnicodeLittle", "UTF-16"},        {"x-UTF-16LE-BOM", "UTF-16"},
    {"x-UTF-32BE-BOM", "UTF-32"},       {"x-UTF-32LE-BOM", "UTF-32"},
    {"UTF_32BE_BOM", "UTF-32"},         {"UTF_32LE_BOM", "UTF-32"},
    {"latin1", "ISO-8859-1"},           {"Cp1252", "WINDOWS-1252"},
    {"x-MacRoman", "MACINTOSH"},        {"MacRoman", "MACINTOSH"},
};

iconv_t OpenToUtf8(std::string_view charset) {
  if (charset.empty()) return reinterpret_cast<iconv_t>(-1);  // glibc: the locale's charset
  std::string name(charset);
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd != reinterpret_cast<iconv_t>(-1)) return cd;
  for (const auto& [java, glibc] : kJavaAliases) {
    if (EqualsIgnoreCase(charset, java)) return iconv_open("UTF-8", std::string(glibc).c_str());
  }
  // Java's historical names use '_' where glibc uses '-' ("ISO8859_1", "UTF_16LE").
  std::replace(name.begin(), name.end(), '_', '-');
  return iconv_open("UTF-8", name.c_str());
}

// Decodes `in` (any charset iconv knows) into UTF-8. Converted bytes are handed out before
// an error in the input is reported, so a reader sees everything valid up to the bad byte.
class Utf8Converter final : public InputStream {
 public:
  Utf8Converter(std::unique_ptr<InputStream> in, iconv_t cd, std::string charset)
      : in_(std::move(in)), cd_(cd), charset_(std::move(charset)) {
    in_buf_.resize(kBufSize);
    out_buf_.resize(kBufSize);
  }
  ~Utf8Converter() override { iconv_close(cd_); }

  Result<size_t> Read(char* buf, size_t n) override {
    while (out_pos_ == out_len_) {
      if (!error_.ok()) return error_;
      if (done_) return size_t{0};
      Fill();
    }
    size_t k = std::min(n, out_len_ - out_pos_);
    std::memcpy(buf, out_buf_.data() + out_pos_, k);
    out_pos_ += k;
    return k;
  }

 private:
  static constexpr size_t kBufSize = 1 << 16;

  // Converts more input into out_buf_, reading from `in_` when the pending input is empty
  // or ends in an incomplete sequence; sets `error_` or `done_` when there is no more.
  void Fill() {
    out_pos_ = out_len_ = 0;
    if (in_len_ == 0 || incomplete_) {
      // Keep the unconsumed tail (an incomplete sequence) in front of the new bytes.
      std::memmove(in_buf_.data(), in_buf_.data() + in_pos_, in_len_);
      in_pos_ = 0;
      // Read until the buffer is full or the input ends, so that iconv gets the same pieces
      // of the input however `in_` cuts it: a charset with state (UTF-7) names the offset
      // where it noticed a bad sequence, which depended on the pieces.
      const size_t pending = in_len_;
      while (!in_eof_ && in_len_ < in_buf_.size()) {
        Result<size_t> r = in_->Read(in_buf_.data() + in_len_, in_buf_.size() - in_len_);
        if (!r.ok()) {
          error_ = r.status();
          return;
        }
        in_eof_ = *r == 0;
        in_len_ += *r;
      }
      if (in_len_ == pending) {  // the end of the input
        if (in_len_ > 0) {       // a multibyte sequence cut off by the end of the input
          error_ = InvalidSequence();
          return;
        }
        char* out = out_buf_.data();
        size_t out_left = out_buf_.size();
        iconv(cd_, nullptr, nullptr, &out, &out_left);  // emits a stateful charset's reset
        out_len_ = out_buf_.size() - out_left;
        done_ = true;
        return;
      }
    }
    char* in = in_buf_.data() + in_pos_;
    size_t in_left = in_len_;
    char* out = out_buf_.data();
    size_t out_left = out_buf_.size();
    size_t rc = iconv(cd_, &in, &in_left, &out, &out_left);
    int err = errno;
    size_t consumed = in_len_ - in_left;
    in_pos_ += consumed;
    in_len_ = in_left;
    offset_ += consumed;
    out_len_ = out_buf_.size() - out_left;
    incomplete_ = false;
    if (rc == static_cast<size_t>(-1)) {
      if (err == EILSEQ) {
        error_ = InvalidSequence();
      } else if (err == EINVAL) {
        incomplete_ = true;
      } else if (err != E2BIG) {
        error_ = Internal("iconv from " + charset_ + " failed: " + std::strerror(err));
      }
    }
  }

  Status InvalidSequence() const {
    return InvalidArgument("invalid " + charset_ + " byte sequence at byte offset " +
                           std::to_string(offset_));
  }

  std::unique_ptr<InputStream> in_;
  iconv_t cd_;
  std::string charset_;
  std::string in_buf_, out_buf_;
  size_t in_pos_ = 0, in_len_ = 0;    // pending input: in_buf_[in_pos_, in_pos_ + in_len_)
  size_t out_pos_ = 0, out_len_ = 0;  // converted output not yet returned
  uint64_t offset_ = 0;               // input bytes converted so far
  bool incomplete_ = false;           // the pending input ends inside a sequence
  bool in_eof_ = false;               // `in_` has returned its end
  bool done_ = false;
  Status error_;
};

}  // namespace

bool IsUtf8Charset(std::string_view charset) {
  return EqualsIgnoreCase(charset, "UTF-8") || EqualsIgnoreCase(charset, "UTF8");
}

Result<std::unique_ptr<InputStream>> NewUtf8Converter(std::unique_ptr<InputStream> in,
                                                      std::string_view charset) {
  if (IsUtf8Charset(charset)) return in;
  iconv_t cd = OpenToUtf8(charset);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return InvalidArgument("unknown charset '" + std::string(charset) + "'");
  }
  return std::unique_ptr<InputStream>(
      std::make_unique<Utf8Converter>(std::move(in), cd, std::string(charset)));
}

size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: 16 bytes at a time while no byte has its high bit set.
    while (i + 16 <= n) {
      uint64_t a, b;
      std::memcpy(&a, p + i, 8);
      std::memcpy(&b, p + i + 8, 8);
      if (((a | b) & 0x8080808080808080ULL) != 0) break;
      i += 16;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The allowed range of the second byte excludes overlongs (C0, C1, E0 80-9F, F0 80-8F),
    // surrogates (ED A0-BF) and code points over U+10FFFF (F4 90-BF, F5-FF).
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == std::string_view::npos; }

}  // namespace strm
