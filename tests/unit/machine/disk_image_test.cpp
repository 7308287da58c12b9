// SPDX-License-Identifier: MIT
// Disk images on host files: reads and writes, locks against a second
// writer (in this process too), the -snapshot overlay, and the images that
// must be refused at startup.
#include "machine/disk_image.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kestrel::machine {
namespace {

struct TempDir {
  TempDir() {
    char templ[] = "/tmp/kestrel-disk-test-XXXXXX";
    path = ::mkdtemp(templ);
  }
  ~TempDir() {
    const std::string cmd = "rm -rf '" + path + "'";
    (void)std::system(cmd.c_str());
  }
  std::string file(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                             std::streamsize(bytes.size()));
    return p;
  }
  std::string path;
};

std::vector<uint8_t> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 13 + 1);
  return v;
}

/// A minimal ISO 9660 volume: the primary descriptor at sector 16 says how
/// many 2048-byte blocks the volume has.
std::vector<uint8_t> iso(size_t file_blocks, uint32_t volume_blocks) {
  std::vector<uint8_t> v(file_blocks * 2048);
  uint8_t* d = v.data() + 16 * 2048;
  d[0] = 1;
  std::copy_n("CD001", 5, d + 1);
  d[6] = 1;
  for (int i = 0; i < 4; ++i) d[80 + i] = uint8_t(volume_blocks >> (8 * i));
  d[128] = 0x00, d[129] = 0x08;  // 2048
  uint8_t* t = d + 2048;
  t[0] = 255;
  std::copy_n("CD001", 5, t + 1);
  return v;
}

TEST_CASE("a raw image reads and writes in place and flushes") {
  TempDir dir;
  const std::string p = dir.file("disk.img", pattern(8192));
  auto r = DiskImage::open(p, {});
  REQUIRE(r.image);
  CHECK(r.image->size() == 8192);
  CHECK(r.image->writable());
  std::vector<uint8_t> buf(100);
  REQUIRE(r.image->read(1000, buf));
  CHECK(buf[0] == uint8_t(1000 * 13 + 1));
  const std::vector<uint8_t> data(700, 0xee);
  REQUIRE(r.image->write(300, data));
  CHECK(r.image->flush());
  CHECK(!r.image->read(8150, buf));  // past the end
  CHECK(!r.image->write(8100, data));
  r.image.reset();
  CHECK(slurp(p)[300] == 0xee);
  CHECK(slurp(p)[999] == 0xee);
  CHECK(slurp(p)[1000] == uint8_t(1000 * 13 + 1));
}

TEST_CASE("an image open for writing cannot be opened again, in this process or another") {
  TempDir dir;
  const std::string p = dir.file("disk.img", pattern(4096));
  auto first = DiskImage::open(p, {});
  REQUIRE(first.image);
  auto second = DiskImage::open(p, {});
  CHECK(!second.image);
  CHECK(second.error.find("in use") != std::string::npos);
  auto reader = DiskImage::open(p, {.read_only = true});
  CHECK(!reader.image);
  auto snap = DiskImage::open(p, {.snapshot = true});
  CHECK(!snap.image);
  first.image.reset();
  auto ro1 = DiskImage::open(p, {.read_only = true});
  auto ro2 = DiskImage::open(p, {.read_only = true});
  CHECK(ro1.image);
  CHECK(ro2.image);
  CHECK(!ro1.image->writable());
  CHECK(!DiskImage::open(p, {}).image);  // readers keep a writer out
}

TEST_CASE("-snapshot writes to an overlay and leaves the image unchanged") {
  TempDir dir;
  const auto original = pattern(5000);  // not a whole number of sectors
  const std::string p = dir.file("disk.img", original);
  auto r = DiskImage::open(p, {.snapshot = true});
  REQUIRE(r.image);
  CHECK(r.image->writable());
  const std::vector<uint8_t> a(10, 0xaa), b(1024, 0xbb);
  REQUIRE(r.image->write(510, a));    // across a sector boundary, partial
  REQUIRE(r.image->write(2048, b));   // whole sectors
  REQUIRE(r.image->write(4996, std::vector<uint8_t>(4, 0xcc)));  // the short last sector
  REQUIRE(r.image->write(2050, std::vector<uint8_t>(2, 0x11)));  // into an overlay sector
  std::vector<uint8_t> all(5000);
  REQUIRE(r.image->read(0, all));
  std::vector<uint8_t> want = original;
  std::fill_n(want.begin() + 510, 10, 0xaa);
  std::fill_n(want.begin() + 2048, 1024, 0xbb);
  std::fill_n(want.begin() + 4996, 4, 0xcc);
  want[2050] = want[2051] = 0x11;
  CHECK(all == want);
  CHECK(r.image->flush());
  r.image.reset();
  CHECK(slurp(p) == original);
  // A snapshot takes only a shared lock: two of them may run side by side.
  auto s1 = DiskImage::open(p, {.snapshot = true});
  auto s2 = DiskImage::open(p, {.snapshot = true});
  CHECK(s1.image);
  CHECK(s2.image);
}

TEST_CASE("broken images are refused with a reason") {
  TempDir dir;
  CHECK(DiskImage::open(dir.path, {}).error.find("directory") != std::string::npos);
  CHECK(DiskImage::open(dir.path + "/missing", {}).error == "No such file or directory");
  CHECK(DiskImage::open(dir.file("empty", {}), {}).error == "the image is empty");
  CHECK(DiskImage::open("/dev/null", {}).error == "not a regular file or block device");
  const std::string not_iso = dir.file("plain.iso", pattern(40 * 2048));
  CHECK(DiskImage::open(not_iso, {.cdrom = true}).error.find("no primary volume") !=
        std::string::npos);
  const std::string truncated = dir.file("short.iso", iso(20, 200));
  CHECK(DiskImage::open(truncated, {.cdrom = true}).error.find("truncated") != std::string::npos);
  const std::string good = dir.file("good.iso", iso(20, 20));
  auto r = DiskImage::open(good, {.cdrom = true});
  REQUIRE(r.image);
  CHECK(!r.image->writable());
  CHECK(!r.image->write(0, std::vector<uint8_t>(4)));
}

}  // namespace
}  // namespace kestrel::machine
