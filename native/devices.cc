// listInterfaces(): pcap_findalldevs as plain JS objects.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"

namespace pof {
namespace {

// IPv4/IPv6 socket address as text, or null for other families (AF_PACKET...).
Napi::Value AddrText(Napi::Env env, const sockaddr* sa) {
  if (sa == nullptr) return env.Null();
  char text[INET6_ADDRSTRLEN];
  const void* raw = nullptr;
  if (sa->sa_family == AF_INET) {
    raw = &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr;
  } else if (sa->sa_family == AF_INET6) {
    raw = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
  } else {
    return env.Null();
  }
  if (inet_ntop(sa->sa_family, raw, text, sizeof text) == nullptr) return env.Null();
  return Napi::String::New(env, text);
}

Napi::Value ListInterfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) != 0) ThrowCoded(env, "ERROR", std::string("cannot list interfaces: ") + errbuf);

  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("name", Napi::String::New(env, d->name));
    dev.Set("description", d->description ? Napi::String::New(env, d->description) : env.Null());
    dev.Set("flags", Napi::Number::New(env, d->flags));
    Napi::Array addrs = Napi::Array::New(env);
    uint32_t j = 0;
    for (pcap_addr_t* a = d->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr || (a->addr->sa_family != AF_INET && a->addr->sa_family != AF_INET6)) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("family", Napi::String::New(env, a->addr->sa_family == AF_INET ? "IPv4" : "IPv6"));
      o.Set("address", AddrText(env, a->addr));
      o.Set("netmask", AddrText(env, a->netmask));
      o.Set("broadcast", AddrText(env, a->broadaddr));
      o.Set("destination", AddrText(env, a->dstaddr));
      addrs.Set(j++, o);
    }
    dev.Set("addresses", addrs);
    out.Set(i++, dev);
  }
  pcap_freealldevs(all);
  return out;
}

}  // namespace

Napi::Object InitDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfaces, "listInterfaces"));
  return exports;
}

}  // namespace pof
