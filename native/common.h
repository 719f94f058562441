// Shared helpers for the pof libpcap addon.
#pragma once

#include <napi.h>
#include <pcap/pcap.h>

#include <string>

namespace pof {

// Throws a JS Error whose `pcapCode` property tells the TypeScript wrapper
// which PofError message to build (it never parses the text).
[[noreturn]] inline void ThrowCoded(Napi::Env env, const char* pcapCode, const std::string& msg) {
  Napi::Error err = Napi::Error::New(env, msg);
  err.Value().Set("pcapCode", Napi::String::New(env, pcapCode));
  throw err;
}

// pcap_datalink() answers with DLT_* values; capture files and PacketRecord
// use LINKTYPE_* values. They agree except for a handful of historical
// numbers that differ between platforms (pcap-linktype(7)).
struct LinkPair {
  int dlt;
  int linktype;
};

inline const LinkPair* LinkPairs(size_t* n) {
  static const LinkPair pairs[] = {
#ifdef DLT_ATM_RFC1483
      {DLT_ATM_RFC1483, 100},
#endif
#ifdef DLT_RAW
      {DLT_RAW, 101},
#endif
#ifdef DLT_SLIP_BSDOS
      {DLT_SLIP_BSDOS, 102},
#endif
#ifdef DLT_PPP_BSDOS
      {DLT_PPP_BSDOS, 103},
#endif
#ifdef DLT_ATM_CLIP
      {DLT_ATM_CLIP, 106},
#endif
  };
  *n = sizeof(pairs) / sizeof(pairs[0]);
  return pairs;
}

inline int DltToLinktype(int dlt) {
  size_t n;
  const LinkPair* p = LinkPairs(&n);
  for (size_t i = 0; i < n; i++) {
    if (p[i].dlt == dlt) return p[i].linktype;
  }
  return dlt;
}

inline int LinktypeToDlt(int linktype) {
  size_t n;
  const LinkPair* p = LinkPairs(&n);
  for (size_t i = 0; i < n; i++) {
    if (p[i].linktype == linktype) return p[i].dlt;
  }
  return linktype;
}

// Compiles `expr` for `handle` into `prog`; throws BAD_FILTER with
// libpcap's own explanation on failure.
inline void CompileOrThrow(Napi::Env env, pcap_t* handle, bpf_program* prog, const std::string& expr,
                           bpf_u_int32 netmask) {
  if (pcap_compile(handle, prog, expr.c_str(), 1, netmask) != 0) {
    ThrowCoded(env, "BAD_FILTER", std::string("bad filter expression '") + expr + "': " + pcap_geterr(handle));
  }
}

Napi::Object InitLive(Napi::Env env, Napi::Object exports);
Napi::Object InitOffline(Napi::Env env, Napi::Object exports);
Napi::Object InitDevices(Napi::Env env, Napi::Object exports);

}  // namespace pof
