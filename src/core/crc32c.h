// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 and Kafka's record batches): the checksum
// of the embedded event log's batches. SSE4.2's crc32 instruction where the CPU has it, a
// table otherwise; both give the same values. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace strm {

// The CRC-32C of `data`, continuing from `crc` (the CRC of what came before; 0 to start).
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace strm
