// SPDX-License-Identifier: MIT
// MOO encoding for tests: the inverse of moo.cpp, kept simple on purpose.
#include "tests/conformance/moo_builder.h"

#include <zlib.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace kestrel::conformance::test_support {
namespace {

void put(std::vector<uint8_t>& v, uint64_t x, unsigned bytes) {
  const size_t at = v.size();
  v.resize(at + bytes);
  for (unsigned i = 0; i < bytes; ++i) v[at + i] = uint8_t(x >> (8 * i));
}

void put_chunk(std::vector<uint8_t>& v, std::string_view tag, const std::vector<uint8_t>& body) {
  v.insert(v.end(), tag.begin(), tag.end());
  put(v, body.size(), 4);
  v.insert(v.end(), body.begin(), body.end());
}

std::vector<uint8_t> encode_state(const MooState& st, int64_t ram_count_override) {
  std::vector<uint8_t> regs, ram, out;
  put(regs, st.regs.present, 2);
  for (unsigned i = 0; i < kMooRegCount; ++i) {
    if (st.regs.has(i)) put(regs, st.regs.value[i], 2);
  }
  put(ram, ram_count_override >= 0 ? uint64_t(ram_count_override) : st.ram.size(), 4);
  for (const MooRamByte& b : st.ram) {
    put(ram, b.addr, 4);
    put(ram, b.value, 1);
  }
  put_chunk(out, "REGS", regs);
  put_chunk(out, "RAM ", ram);
  put_chunk(out, "QUEU", {0, 0, 0, 0});
  return out;
}

}  // namespace

void MooBuilder::header(uint32_t test_count, std::string_view cpu) {
  std::vector<uint8_t> body = {1, 0, 0, 0};
  put(body, test_count, 4);
  body.insert(body.end(), cpu.begin(), cpu.end());
  chunk("MOO ", body);
}

void MooBuilder::chunk(std::string_view tag, const std::vector<uint8_t>& body) {
  const size_t before = data_.size();
  put_chunk(data_, tag, body);
  last_size_ = data_.size() - before;
}

void MooBuilder::test(const MooTest& t, int64_t ram_count_override) {
  std::vector<uint8_t> body, name, bytes;
  put(body, t.index, 4);
  put_chunk(body, "GMET", std::vector<uint8_t>(10, 0));
  put(name, t.name.size(), 4);
  name.insert(name.end(), t.name.begin(), t.name.end());
  put_chunk(body, "NAME", name);
  put(bytes, t.bytes.size(), 4);
  bytes.insert(bytes.end(), t.bytes.begin(), t.bytes.end());
  put_chunk(body, "BYTS", bytes);
  put_chunk(body, "INIT", encode_state(t.init, ram_count_override));
  put_chunk(body, "FINA", encode_state(t.fina, -1));
  put_chunk(body, "CYCL", {0, 0, 0, 0});
  if (t.has_exception) {
    std::vector<uint8_t> e = {t.exception_vector};
    put(e, t.flags_addr, 4);
    put_chunk(body, "EXCP", e);
  }
  if (t.has_hash) put_chunk(body, "HASH", {t.hash.begin(), t.hash.end()});
  chunk("TEST", body);
}

MooTest sample_test(uint32_t index, bool with_exception) {
  MooTest t;
  t.index = index;
  t.name = "div di";
  t.bytes = {0xf7, 0xf7, 0xf4};
  t.init.regs.present = kMooAllRegs;
  t.init.regs.value = {0x4484, 34093, 0, 55096, 54101, 5595, 31372, 37577,
                       9412,   65535, 366, 1731, 40280, 0xd487};
  t.init.ram = {{905896, 0xf7}, {905897, 0xf7}, {905898, 0xf4}};
  t.fina.regs.present = 1u << kMooSp | 1u << kMooIp;
  t.fina.regs.value[kMooSp] = 9406;
  t.fina.regs.value[kMooIp] = 0xf830;
  t.fina.ram = {{98930, 6}, {98931, 4}};
  if (with_exception) {
    t.has_exception = true;
    t.exception_vector = 0;
    t.flags_addr = 98930;
    t.has_hash = true;
    for (unsigned i = 0; i < t.hash.size(); ++i) t.hash[i] = uint8_t(i);
  }
  return t;
}

void write_gzip(const std::string& path, const std::vector<uint8_t>& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot create " + path);
  gzwrite(f, data.data(), unsigned(data.size()));
  gzclose(f);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kestrel::conformance::test_support
