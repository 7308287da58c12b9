// SPDX-License-Identifier: MIT
// Parsing of the storage options (-hda, -hdb, -hdc, -hdd, -cdrom, -drive,
// -snapshot) and of a bare file name, which QEMU takes as -hda. Files are
// opened later, by host_storage.cpp.
#include <array>
#include <charconv>

#include "frontend/option_table.h"

namespace kestrel::frontend {
namespace {

using Interface = machine::DriveConfig::Interface;
using Media = machine::DriveConfig::Media;

Problem add_ide(Options& o, std::string_view option, std::string_view file, unsigned index,
                Media media) {
  if (file.empty()) return "missing file name";
  DriveSpec d;
  d.file = std::string(file);
  d.index = index;
  d.media = media;
  d.option = std::string(option) + " " + std::string(file);
  o.storage.drives.push_back(std::move(d));
  return std::nullopt;
}

Problem apply_hda(Options& o, std::string_view a) { return add_ide(o, "-hda", a, 0, Media::kDisk); }
Problem apply_hdb(Options& o, std::string_view a) { return add_ide(o, "-hdb", a, 1, Media::kDisk); }
Problem apply_hdc(Options& o, std::string_view a) { return add_ide(o, "-hdc", a, 2, Media::kDisk); }
Problem apply_hdd(Options& o, std::string_view a) { return add_ide(o, "-hdd", a, 3, Media::kDisk); }
/// QEMU's -cdrom is the secondary master.
Problem apply_cdrom(Options& o, std::string_view a) {
  return add_ide(o, "-cdrom", a, 2, Media::kCdrom);
}

Problem apply_snapshot(Options& o, std::string_view) {
  o.storage.snapshot = true;
  return std::nullopt;
}

Problem parse_on_off(std::string_view key, std::string_view value, bool& out) {
  if (value == "on" || value.empty()) out = true;
  else if (value == "off") out = false;
  else return std::string(key) + "=" + std::string(value) + ": expected on or off";
  return std::nullopt;
}

/// One key=value of -drive.
Problem apply_drive_key(DriveSpec& d, std::string_view key, std::string_view value) {
  if (key == "file") {
    d.file = std::string(value);
  } else if (key == "format") {
    if (value != "raw") {
      return "format " + std::string(value) + " is not supported (only raw images)";
    }
  } else if (key == "if") {
    if (value == "ide") d.interface = Interface::kIde;
    else if (value == "virtio") d.interface = Interface::kVirtio;
    else return "if=" + std::string(value) + " is not supported (use ide or virtio)";
  } else if (key == "media") {
    if (value == "disk") d.media = Media::kDisk;
    else if (value == "cdrom") d.media = Media::kCdrom;
    else return "media=" + std::string(value) + ": expected disk or cdrom";
  } else if (key == "index") {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || p != value.data() + value.size() || v > 31) {
      return "index=" + std::string(value) + ": expected a number from 0 to 31";
    }
    d.index = v;
  } else if (key == "readonly") {
    return parse_on_off(key, value, d.read_only);
  } else if (key == "snapshot") {
    return parse_on_off(key, value, d.snapshot);
  } else if (key != "id" && key != "cache") {  // accepted and without effect here
    return "unknown key '" + std::string(key) +
           "' (use file, format, if, media, index, readonly, snapshot)";
  }
  return std::nullopt;
}

/// QEMU's -drive syntax: key=value pairs split at commas; ",," is a comma
/// inside a value (a file name with a comma).
Problem apply_drive(Options& o, std::string_view arg) {
  DriveSpec d;
  d.option = "-drive " + std::string(arg);
  size_t i = 0;
  while (i < arg.size()) {
    std::string item;
    for (; i < arg.size(); ++i) {
      if (arg[i] != ',') {
        item += arg[i];
      } else if (i + 1 < arg.size() && arg[i + 1] == ',') {
        item += ',', ++i;
      } else {
        break;
      }
    }
    ++i;
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (Problem why = apply_drive_key(d, key, value)) return why;
  }
  if (d.file.empty()) return "missing file=";
  if (d.interface == Interface::kVirtio && d.media == Media::kCdrom) {
    return "media=cdrom needs if=ide";
  }
  if (d.interface == Interface::kIde && d.index && *d.index > 3) {
    return "index=" + std::to_string(*d.index) + ": IDE has positions 0 to 3";
  }
  o.storage.drives.push_back(std::move(d));
  return std::nullopt;
}

constexpr std::array kStorageOptions = {
    OptionSpec{"hda", "FILE", apply_hda, "raw disk image as the primary IDE master (also: a\n"
                                         "bare FILE on the command line)"},
    OptionSpec{"hdb", "FILE", apply_hdb, "raw disk image as the primary IDE slave"},
    OptionSpec{"hdc", "FILE", apply_hdc, "raw disk image as the secondary IDE master"},
    OptionSpec{"hdd", "FILE", apply_hdd, "raw disk image as the secondary IDE slave"},
    OptionSpec{"cdrom", "FILE", apply_cdrom, "ISO 9660 image in an ATAPI CD-ROM drive (the\n"
                                             "secondary IDE master)"},
    OptionSpec{"drive", "SPEC", apply_drive,
               "a drive: file=FILE[,format=raw][,if=ide|virtio]\n"
               "[,media=disk|cdrom][,index=N][,readonly=on|off][,snapshot=on|off]"},
    OptionSpec{"snapshot", "", apply_snapshot, "write to temporary overlays: disk images\n"
                                               "stay unchanged"},
};

}  // namespace

std::span<const OptionSpec> storage_options() { return kStorageOptions; }

Problem apply_positional(Options& o, std::string_view word) {
  return add_ide(o, "-hda", word, 0, Media::kDisk);
}

}  // namespace kestrel::frontend
