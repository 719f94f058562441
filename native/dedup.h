// Copies of one packet, as a capture on every interface ('any' on Linux)
// sees them, told apart from packets in their own right on the capture
// thread, before anything is copied for JS.
//
// The loopback's copies need nothing here: every packet sent on lo passes
// the taps twice, going out and coming back in, and libpcap itself leaves
// out the outgoing one (on 'any' too), so through 'any' lo gives what
// `-i lo` gives. A bridge's do: a frame from a container crosses its veth,
// then the bridge, and both show it with the same bytes (so do a bond and
// its slave, a VLAN device and its parent...). They are found by content:
// a hash of the first kHashBytes bytes after the link header (the IP header
// with its ID and checksum, the TCP header with its sequence numbers and
// checksum: a real retransmission differs) and the length, looked up in a
// small direct-mapped table of recent packets. The same hash again within
// kWindowUs of packet time is a copy. A slot taken over by another packet
// only costs a copy that is then delivered twice, as without the table,
// which is fixed (kSlots entries, 64 KiB).
//
// Nothing on the packet path allocates or locks; the capture thread alone
// calls IsCopy (the counter is read from JS too).
#pragma once

#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <cstring>
#include <vector>

namespace pof {

class Dedup {
 public:
  static constexpr size_t kSlots = 4096;        // power of two
  static constexpr size_t kHashBytes = 128;     // bytes of the packet hashed
  static constexpr int64_t kWindowUs = 10'000;  // copies arrive microseconds apart

  // `dlt`: the handle's link type (the link header is left out of the hash:
  // in a cooked header the packet type differs between the two sights).
  explicit Dedup(int dlt) : table_(kSlots) {
    switch (dlt) {
      case DLT_LINUX_SLL:
        linkLen_ = 16;
        break;
#ifdef DLT_LINUX_SLL2
      case DLT_LINUX_SLL2:
        linkLen_ = 20;
        break;
#endif
      case DLT_EN10MB:
        linkLen_ = 14;
        break;
      default:
        linkLen_ = 0;
        break;
    }
  }

  // True when this packet is a copy of one already let through.
  bool IsCopy(const pcap_pkthdr* h, const uint8_t* p) {
    if (h->caplen <= linkLen_) return false;
    size_t n = h->caplen - linkLen_;
    uint64_t key = Hash(p + linkLen_, n < kHashBytes ? n : kHashBytes, h->len);
    int64_t t = static_cast<int64_t>(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec;
    Entry& e = table_[key & (kSlots - 1)];
    int64_t dt = t - e.tUs;
    if (e.key == key && dt <= kWindowUs && dt >= -kWindowUs) {
      copies.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    e.key = key;
    e.tUs = t;
    return false;
  }

  std::atomic<uint64_t> copies{0};  // copies left out

 private:
  struct Entry {
    uint64_t key = 0;
    int64_t tUs = 0;
  };

  // A 64-bit multiply-xorshift hash of n bytes, seeded with the wire length.
  static uint64_t Hash(const uint8_t* p, size_t n, uint32_t wirelen) {
    constexpr uint64_t kMul1 = 0x9E3779B97F4A7C15ULL;
    constexpr uint64_t kMul2 = 0xC2B2AE3D27D4EB4FULL;
    uint64_t h = (static_cast<uint64_t>(wirelen) << 32 | n) * kMul1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      h ^= w * kMul2;
      h = (h << 29 | h >> 35) * kMul1;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < n; k++) tail |= static_cast<uint64_t>(p[i + k]) << (8 * k);
    h ^= tail * kMul2;
    h ^= h >> 31;
    h *= kMul1;
    h ^= h >> 29;
    return h | 1;  // never 0, the empty slot's key
  }

  uint32_t linkLen_ = 0;
  std::vector<Entry> table_;
};

}  // namespace pof
