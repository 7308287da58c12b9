// SPDX-License-Identifier: MIT
// MOO chunk walking and gzip input. The data is treated as hostile: each
// read goes through a bounds-checked cursor, so a bad length ends the file
// with a message instead of a read past the buffer.
#include "tests/conformance/moo.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace kestrel::conformance {
namespace {

/// A read position inside one chunk's bytes; reads past the end fail.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> d) : d_(d) {}
  size_t left() const { return d_.size() - pos_; }

  bool take(size_t n, std::span<const uint8_t>& out) {
    if (n > left()) return false;
    out = d_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  template <class T> bool get(T& v) {
    std::span<const uint8_t> b;
    if (!take(sizeof(T), b)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x |= uint64_t(b[i]) << (8 * i);  // little-endian
    v = T(x);
    return true;
  }

 private:
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
};

struct Chunk {
  std::string tag;
  std::span<const uint8_t> body;
};

/// The tag as printable text (hostile files may hold any bytes).
std::string printable_tag(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t c : b) s += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
  return s;
}

/// Reads one chunk header and body; on failure returns a message.
std::string next_chunk(Cursor& c, Chunk& ch) {
  std::span<const uint8_t> tag;
  uint32_t len = 0;
  const size_t avail = c.left();
  if (!c.take(4, tag) || !c.get(len)) {
    return "truncated chunk header (" + std::to_string(avail) + " bytes left)";
  }
  ch.tag = printable_tag(tag);
  if (!c.take(len, ch.body)) {
    return "'" + ch.tag + "' chunk length " + std::to_string(len) + " exceeds the " +
           std::to_string(c.left()) + " bytes left";
  }
  return {};
}

std::string parse_regs(std::span<const uint8_t> body, MooRegs& r) {
  Cursor c(body);
  uint16_t mask = 0;
  if (!c.get(mask)) return "REGS chunk too short for its mask";
  if (mask & ~kMooAllRegs) return "REGS mask has unknown register bits";
  r.present = mask;
  for (unsigned i = 0; i < kMooRegCount; ++i) {
    if ((mask >> i & 1) && !c.get(r.value[i])) return "REGS chunk shorter than its mask says";
  }
  return {};
}

std::string parse_ram(std::span<const uint8_t> body, std::vector<MooRamByte>& ram) {
  Cursor c(body);
  uint32_t count = 0;
  if (!c.get(count)) return "RAM chunk too short for its count";
  if (uint64_t(count) * 5 > c.left()) {
    return "RAM count " + std::to_string(count) + " exceeds the chunk length";
  }
  ram.resize(count);
  for (MooRamByte& b : ram) {
    c.get(b.addr);
    c.get(b.value);
  }
  return {};
}

std::string parse_state(std::span<const uint8_t> body, MooState& st, const char* which) {
  Cursor c(body);
  while (c.left()) {
    Chunk ch;
    std::string err = next_chunk(c, ch);
    if (err.empty() && ch.tag == "REGS") err = parse_regs(ch.body, st.regs);
    if (err.empty() && ch.tag == "RAM ") err = parse_ram(ch.body, st.ram);
    if (!err.empty()) return std::string(which) + ": " + err;
    // QUEU and unknown tags: not needed by a core without a prefetch queue.
  }
  return {};
}

/// NAME and BYTS: u32 length + that many bytes.
std::string parse_counted(std::span<const uint8_t> body, std::span<const uint8_t>& out,
                          const std::string& tag) {
  Cursor c(body);
  uint32_t n = 0;
  if (!c.get(n) || !c.take(n, out)) return tag + " length exceeds its chunk";
  return {};
}

std::string parse_sub_chunk(const Chunk& ch, MooTest& t) {
  std::span<const uint8_t> b;
  if (ch.tag == "NAME") {
    std::string err = parse_counted(ch.body, b, ch.tag);
    t.name.assign(b.begin(), b.end());
    return err;
  }
  if (ch.tag == "BYTS") {
    std::string err = parse_counted(ch.body, b, ch.tag);
    t.bytes.assign(b.begin(), b.end());
    return err;
  }
  if (ch.tag == "INIT") return parse_state(ch.body, t.init, "INIT");
  if (ch.tag == "FINA") return parse_state(ch.body, t.fina, "FINA");
  Cursor c(ch.body);
  if (ch.tag == "EXCP") {
    t.has_exception = c.get(t.exception_vector) && c.get(t.flags_addr);
    return t.has_exception ? "" : "EXCP chunk too short";
  }
  if (ch.tag == "HASH") {
    t.has_hash = c.take(t.hash.size(), b);
    if (t.has_hash) std::copy(b.begin(), b.end(), t.hash.begin());
    return t.has_hash ? "" : "HASH chunk too short";
  }
  return {};  // GMET, CYCL and unknown tags
}

void clear_test(MooTest& t) {
  t.index = 0;
  t.name.clear();
  t.bytes.clear();
  t.init.regs = {};
  t.init.ram.clear();
  t.fina.regs = {};
  t.fina.ram.clear();
  t.has_exception = false;
  t.has_hash = false;
}

std::string parse_test(std::span<const uint8_t> body, MooTest& t) {
  clear_test(t);
  Cursor c(body);
  if (!c.get(t.index)) return "TEST chunk too short for its index";
  bool have_init = false, have_fina = false;
  while (c.left()) {
    Chunk ch;
    std::string err = next_chunk(c, ch);
    if (err.empty()) err = parse_sub_chunk(ch, t);
    if (!err.empty()) return err;
    have_init |= ch.tag == "INIT";
    have_fina |= ch.tag == "FINA";
  }
  if (!have_init || !have_fina) return "TEST has no INIT or no FINA";
  if (t.init.regs.present != kMooAllRegs) return "INIT does not give all 14 registers";
  return {};
}

}  // namespace

std::string MooTest::hash_hex() const {
  if (!has_hash) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : hash) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

bool MooReader::fail(uint32_t test, std::string what) {
  error_ = "test " + std::to_string(test) + ": " + what;
  return false;
}

bool MooReader::read_header() {
  if (data_.size() < 4 || printable_tag(data_.first(4)) != "MOO ") {
    return fail(0, "not a MOO file (it does not start with 'MOO ')");
  }
  Cursor c(data_);
  Chunk ch;
  std::string err = next_chunk(c, ch);
  if (!err.empty()) return fail(0, "MOO header: " + err);
  Cursor h(ch.body);
  uint16_t reserved = 0;
  std::span<const uint8_t> cpu;
  if (!h.get(header_.major) || !h.get(header_.minor) || !h.get(reserved) ||
      !h.get(header_.test_count) || !h.take(4, cpu)) {
    return fail(0, "MOO header chunk too short");
  }
  header_.cpu = printable_tag(cpu);
  pos_ = data_.size() - c.left();
  return true;
}

bool MooReader::next(MooTest& t) {
  if (!error_.empty()) return false;
  Cursor c(data_.subspan(pos_));
  for (;;) {
    if (c.left() == 0) {
      if (tests_read_ < header_.test_count) {
        return fail(tests_read_, "file ends after " + std::to_string(tests_read_) + " of " +
                                     std::to_string(header_.test_count) + " tests");
      }
      return false;
    }
    Chunk ch;
    std::string err = next_chunk(c, ch);
    if (!err.empty()) return fail(tests_read_, err);
    pos_ = data_.size() - c.left();
    if (ch.tag != "TEST") continue;  // META and unknown top-level chunks
    err = parse_test(ch.body, t);
    if (!err.empty()) return fail(tests_read_, err);
    ++tests_read_;
    return true;
  }
}

bool read_gzip_file(const std::string& path, std::vector<uint8_t>& out, std::string& err) {
  // Far above any vector file (the largest is ~12 MB decompressed): a guard
  // against a decompression bomb, not a format limit.
  constexpr size_t kMaxBytes = size_t{1} << 30;
  constexpr unsigned kStep = 1u << 20;
  out.clear();
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    err = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  gzbuffer(f, 1u << 17);
  bool ok = true;
  for (;;) {
    const size_t old = out.size();
    out.resize(old + kStep);
    const int n = gzread(f, out.data() + old, kStep);
    out.resize(old + (n > 0 ? size_t(n) : 0));
    if (n < int(kStep)) break;
    if (out.size() > kMaxBytes) {
      err = "decompresses to more than 1 GiB";
      ok = false;
      break;
    }
  }
  int code = Z_OK;
  const char* msg = gzerror(f, &code);
  if (ok && code != Z_OK) {
    err = std::string("gzip: ") + msg;
    ok = false;
  }
  // gzclose reports a stream that ended in the middle of a gzip member.
  if (gzclose(f) != Z_OK && ok) {
    err = "gzip: unexpected end of file";
    ok = false;
  }
  return ok;
}

}  // namespace kestrel::conformance
