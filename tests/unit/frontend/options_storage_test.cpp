// SPDX-License-Identifier: MIT
// Parsing of the storage options: -hda..-hdd, -cdrom, a bare file name,
// -drive with its keys and QEMU's ",," escape, -snapshot, and the errors.
#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "frontend/options.h"

namespace kestrel::frontend {
namespace {

ParseResult parse(std::vector<std::string_view> args) { return parse_options(args); }

TEST_CASE("-hda..-hdd, -cdrom and a bare file name give IDE positions") {
  const auto r = parse({"disk.img", "-hdb", "b.img", "-cdrom", "x.iso", "-hdd", "d.img"});
  REQUIRE(!r.error);
  const auto& d = r.options.storage.drives;
  REQUIRE(d.size() == 4);
  CHECK(d[0].file == "disk.img");
  CHECK(d[0].index == 0u);
  CHECK(d[1].index == 1u);
  CHECK(d[2].index == 2u);
  CHECK(d[2].media == machine::DriveConfig::Media::kCdrom);
  CHECK(d[3].index == 3u);
  CHECK(!r.options.storage.snapshot);
}

TEST_CASE("-drive keys, the comma escape and -snapshot") {
  const auto r = parse({"-drive", "file=a,,b.img,format=raw,if=virtio,readonly=on,snapshot=off",
                        "-drive", "file=c.iso,media=cdrom,index=3", "-snapshot"});
  REQUIRE(!r.error);
  const auto& d = r.options.storage.drives;
  REQUIRE(d.size() == 2);
  CHECK(d[0].file == "a,b.img");
  CHECK(d[0].interface == machine::DriveConfig::Interface::kVirtio);
  CHECK(d[0].read_only);
  CHECK(!d[0].snapshot);
  CHECK(!d[0].index);
  CHECK(d[1].media == machine::DriveConfig::Media::kCdrom);
  CHECK(d[1].index == 3u);
  CHECK(r.options.storage.snapshot);
}

TEST_CASE("bad -drive specifications are errors") {
  for (std::string_view spec : {"if=virtio", "file=x,format=qcow2", "file=x,if=scsi",
                                "file=x,media=tape", "file=x,index=4", "file=x,readonly=maybe",
                                "file=x,bogus=1", "file=x,if=virtio,media=cdrom"}) {
    const auto r = parse({"-drive", spec});
    CHECK_MESSAGE(r.error.has_value(), spec);
  }
  const auto r = parse({"-drive", "file=x,format=qcow2"});
  REQUIRE(r.error);
  CHECK(r.error->message() ==
        "kestrel: error: -drive file=x,format=qcow2: format qcow2 is not supported (only raw images)");
}

}  // namespace
}  // namespace kestrel::frontend
