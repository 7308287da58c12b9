// SPDX-License-Identifier: MIT
// Register bits, command codes and SCSI sense values the IDE channel, its
// ATA disks and its ATAPI CD-ROMs share (ATA/ATAPI-8 ACS, ATA8-APT, MMC-3,
// SPC-3). Data only.
#pragma once

#include <cstdint>

namespace kestrel::devices::ide {

inline constexpr unsigned kSectorSize = 512;
inline constexpr unsigned kCdBlockSize = 2048;
/// READ/WRITE MULTIPLE: the largest DRQ block (IDENTIFY word 47).
inline constexpr unsigned kMaxMultiple = 16;

// Status register (ATA8-APT §6.2.9 / ACS §6.2).
enum Status : uint8_t {
  kStErr = 0x01, kStDrq = 0x08, kStDsc = 0x10, kStDf = 0x20, kStDrdy = 0x40, kStBsy = 0x80,
};
// Error register.
enum ErrorBits : uint8_t { kErAbrt = 0x04, kErIdnf = 0x10, kErUnc = 0x40 };
// Device control register.
enum Control : uint8_t { kCtlNien = 0x02, kCtlSrst = 0x04, kCtlHob = 0x80 };
// Device register: LBA addressing, device 1 selected.
enum DeviceBits : uint8_t { kDevLba = 0x40, kDevSlave = 0x10 };
// ATAPI interrupt reason, in the sector count register (ATA8-APT §7.17.6).
enum InterruptReason : uint8_t { kIrCoD = 0x01, kIrIo = 0x02 };

// ATA commands (ACS chapter 7).
enum AtaCommand : uint8_t {
  kCmdNop = 0x00, kCmdDeviceReset = 0x08, kCmdRecalibrate = 0x10,
  kCmdReadSectors = 0x20, kCmdReadSectorsNoRetry = 0x21, kCmdReadSectorsExt = 0x24,
  kCmdReadDmaExt = 0x25, kCmdReadMultipleExt = 0x29,
  kCmdWriteSectors = 0x30, kCmdWriteSectorsNoRetry = 0x31, kCmdWriteSectorsExt = 0x34,
  kCmdWriteDmaExt = 0x35, kCmdWriteMultipleExt = 0x39,
  kCmdReadVerify = 0x40, kCmdReadVerifyNoRetry = 0x41, kCmdReadVerifyExt = 0x42,
  kCmdSeek = 0x70, kCmdDiagnostic = 0x90, kCmdInitParams = 0x91,
  kCmdPacket = 0xa0, kCmdIdentifyPacket = 0xa1,
  kCmdReadMultiple = 0xc4, kCmdWriteMultiple = 0xc5, kCmdSetMultiple = 0xc6,
  kCmdReadDma = 0xc8, kCmdReadDmaNoRetry = 0xc9, kCmdWriteDma = 0xca, kCmdWriteDmaNoRetry = 0xcb,
  kCmdStandbyImm = 0xe0, kCmdIdleImm = 0xe1, kCmdStandby = 0xe2, kCmdIdle = 0xe3,
  kCmdCheckPower = 0xe5, kCmdSleep = 0xe6, kCmdFlushCache = 0xe7, kCmdFlushCacheExt = 0xea,
  kCmdIdentify = 0xec, kCmdSetFeatures = 0xef,
};

// SCSI sense keys (SPC-3 §4.5.6) and the additional sense codes used here.
enum SenseKey : uint8_t {
  kSenseNone = 0, kSenseNotReady = 2, kSenseMediumError = 3, kSenseIllegalRequest = 5,
  kSenseUnitAttention = 6,
};
enum Asc : uint8_t {
  kAscNone = 0x00, kAscUnrecoveredRead = 0x11, kAscInvalidOpcode = 0x20, kAscLbaOutOfRange = 0x21,
  kAscInvalidField = 0x24, kAscMediumChanged = 0x28, kAscSavingNotSupported = 0x39,
  kAscNoMedium = 0x3a, kAscRemovalPrevented = 0x53,
};

// Bus-master IDE registers, 8 bytes per channel in BAR4 (PIIX datasheet
// §2.7: BMICx, BMISx, BMIDTPx).
enum BmReg : uint8_t { kBmCommand = 0, kBmStatus = 2, kBmPrd = 4 };
enum BmCommandBits : uint8_t { kBmStart = 0x01, kBmToMemory = 0x08 };
enum BmStatusBits : uint8_t {
  kBmActive = 0x01, kBmError = 0x02, kBmInterrupt = 0x04, kBmDrive0Dma = 0x20, kBmDrive1Dma = 0x40,
};

}  // namespace kestrel::devices::ide
