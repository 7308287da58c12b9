// SPDX-License-Identifier: MIT
// Fuzzer of the gdbstub: random and mutated byte streams through the packet
// parser and the session's command dispatcher, against a small machine
// (2 MiB, a ROM of NOPs and jumps). Run under ASan/UBSan for the long runs;
// the test suites run a short one. Usage: gdb-packet-fuzz [--iterations N]
// [--seed S]. Prints the number of packets fed; any crash is the failure.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/model.h"
#include "frontend/gdbstub/packet.h"
#include "frontend/gdbstub/session.h"
#include "machine/machine.h"

namespace {

using kestrel::frontend::gdbstub::frame_packet;
using kestrel::frontend::gdbstub::Session;

/// Well-formed packets the mutations start from.
const char* const kSeeds[] = {
    "?", "g", "G0000", "p10", "p1000", "P10=f0ff0f00", "P0=0102030405060708", "m0,10",
    "mf0000,40", "mffffffff,4", "m7ffffffffffff000,100", "M100,4:deadbeef", "X200,3:a}]b",
    "Z0,f0010,1", "z0,f0010,1", "Z1,100,1", "Z2,300,8", "Z3,300,4", "Z4,300,2", "z2,300,8",
    "Z2,0,0", "c", "s", "C05", "S05;f0000", "vCont?", "vCont;s:1;c", "vCont;c", "vCont;t",
    "qSupported:multiprocess+;swbreak+", "qXfer:features:read:target.xml:0,ffb",
    "qXfer:features:read:target.xml:1000,100", "qXfer:features:read:x.xml:0,10",
    "qAttached", "qC", "qfThreadInfo", "qsThreadInfo", "Hg0", "Hc-1", "T1",
    "qRcmd,70687973", "qRcmd,76697274", "qRcmd,696e666f207265676973746572730a", "qRcmd,zz",
    "QStartNoAckMode", "D", "vMustReplyEmpty", "qSymbol::", "k",
};

std::string mutate(std::string s, std::mt19937_64& rng) {
  const unsigned rounds = 1 + rng() % 4;
  for (unsigned i = 0; i < rounds; ++i) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0: s.insert(s.begin() + long(pos), char(rng())); break;
      case 1: if (pos < s.size()) s.erase(pos, 1 + rng() % 4); break;
      case 2: if (pos < s.size()) s[pos] = char(rng()); break;
      case 3: s.insert(pos, std::string(rng() % 64, "0f,:;$#}*x"[rng() % 10])); break;
      case 4: s.insert(pos, "ffffffffffffffff"); break;
      default: s += kSeeds[rng() % std::size(kSeeds)]; break;
    }
  }
  return s;
}

/// One stream: a packet framed well, framed badly, raw noise, or Ctrl-C.
std::string stream(std::mt19937_64& rng) {
  std::string p = kSeeds[rng() % std::size(kSeeds)];
  if (rng() % 4) p = mutate(p, rng);
  switch (rng() % 10) {
    case 0: {  // raw random bytes
      std::string r(rng() % 200, '\0');
      for (char& c : r) c = char(rng());
      return r;
    }
    case 1: return "\x03";
    case 2: {  // a bad checksum
      std::string f = frame_packet(p);
      f.back() = f.back() == '0' ? '1' : '0';
      return f;
    }
    case 3: {  // longer than the stub accepts
      std::string f = "$";
      f.append(kestrel::frontend::gdbstub::kMaxPacket + rng() % 100, 'm');
      f += "#00";
      return f;
    }
    default: return frame_packet(p);
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 100000, seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--iterations")) iterations = std::strtoull(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 0);
  }
  kestrel::machine::MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.cpu_model = kestrel::cpu::find_cpu_model("max");
  // NOPs with a jump back at the reset vector: whatever gdb steps, it stays in the ROM.
  c.firmware.assign(64 << 10, 0x90);
  const uint8_t reset[] = {0xea, 0x00, 0x00, 0x00, 0xf0};  // JMP F000:0000
  std::memcpy(&c.firmware[0xfff0], reset, sizeof reset);
  kestrel::machine::Machine m(c);
  uint64_t out_bytes = 0;
  Session s(m, [&](std::string_view b) { out_bytes += b.size(); }, true);
  std::mt19937_64 rng(seed);
  s.connected();
  for (uint64_t i = 0; i < iterations; ++i) {
    const std::string bytes = stream(rng);
    s.feed(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (s.detach_requested() || rng() % 5000 == 0) {
      s.disconnected();
      s.connected();
    }
    if (s.running()) s.poll_running();
    if (rng() % 1000 == 0) m.reset();
  }
  std::printf("gdb-packet-fuzz: %llu packets, %llu reply bytes, no crash\n",
              static_cast<unsigned long long>(iterations),
              static_cast<unsigned long long>(out_bytes));
  return 0;
}
