// SPDX-License-Identifier: MIT
// The two decoders under comparison and the allow-list of known, documented
// differences between them (each with its reason); docs/conformance.md lists
// the same classes with their counts.
#pragma once

#include <capstone/capstone.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "cpu/decode.h"
#include "cpu/model.h"

namespace kestrel::differential {

/// What one decoder made of a byte string.
struct Outcome {
  bool valid = false;
  size_t len = 0;
  char name[32] = {};  ///< Capstone mnemonic, or Kestrel form name
  cpu::DecodeStatus status = cpu::DecodeStatus::kInvalid;  ///< Kestrel only
  cpu::DecodedInsn insn{};                                 ///< Kestrel only
};

/// Kestrel (every feature, protected mode) and Capstone set up for one mode.
class Decoders {
 public:
  explicit Decoders(cpu::CodeSize mode);
  ~Decoders();
  Decoders(const Decoders&) = delete;
  Decoders& operator=(const Decoders&) = delete;

  Outcome kestrel(const uint8_t* bytes, size_t n) const;
  Outcome capstone(const uint8_t* bytes, size_t n) const;
  /// Capstone in 32-bit mode, whatever this mode is.
  Outcome capstone32(const uint8_t* bytes, size_t n) const;
  cpu::CodeSize mode() const { return mode_; }

 private:
  cpu::CodeSize mode_;
  cpu::CpuModel model_;
  csh cs_ = 0, cs32_ = 0;
  cs_insn* insn_ = nullptr;
  cs_insn* insn32_ = nullptr;
};

/// The legacy-prefix / REX / opcode structure of a byte string, parsed
/// independently of either decoder.
struct Parsed {
  size_t prefix_end = 0;  ///< index of the first opcode byte
  bool lock = false, op66 = false, ad67 = false, seg = false;
  uint8_t last_f2f3 = 0;  ///< the last F2 or F3, 0 without one
  uint8_t rex = 0;  ///< effective REX (the one right before the opcode)
  int map = 0;      ///< 0 primary, 1 0F, 2 0F38, 3 0F3A
  uint8_t opcode = 0;
  int modrm = -1;  ///< the byte after the opcode, if any
};
Parsed parse(const uint8_t* b, size_t n, cpu::CodeSize mode);

/// One known class of disagreement.
struct Quirk {
  const char* id;      ///< short name, used in the summary and the docs
  const char* reason;  ///< why it is not a Kestrel bug (with SDM references)
};

/// Every known class, in the order they are tried.
std::span<const Quirk> known_quirks();

/// The known class a disagreement belongs to, or nullptr.
const Quirk* classify(const Decoders& dec, const uint8_t* bytes, size_t n, const Outcome& k,
                      const Outcome& c);

/// A key that groups unexplained disagreements by mode, kind and opcode.
std::string raw_key(const uint8_t* bytes, size_t n, cpu::CodeSize mode, const Outcome& k,
                    const Outcome& c);
std::string describe(const Outcome& o);

}  // namespace kestrel::differential
