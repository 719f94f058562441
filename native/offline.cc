// OfflineFilter: a BPF program compiled for a link type and snaplen without
// any capture device (pcap_open_dead), run on packets read from capture
// files (pcap_offline_filter). Lets the CLI apply p0f's trailing filter
// expression to -r input too.

#include <cstring>

#include "common.h"

namespace pof {
namespace {

class OfflineFilter : public Napi::ObjectWrap<OfflineFilter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "OfflineFilter", {InstanceMethod<&OfflineFilter::Matches>("matches")});
  }

  // new OfflineFilter(linkType: LINKTYPE_*, snaplen, expr)
  explicit OfflineFilter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OfflineFilter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString()) {
      throw Napi::TypeError::New(env, "OfflineFilter(linkType, snaplen, expr)");
    }
    int linktype = info[0].As<Napi::Number>().Int32Value();
    int snaplen = info[1].As<Napi::Number>().Int32Value();
    std::string expr = info[2].As<Napi::String>().Utf8Value();
    pcap_t* dead = pcap_open_dead(LinktypeToDlt(linktype), snaplen);
    if (dead == nullptr) ThrowCoded(env, "ERROR", "pcap_open_dead failed");
    bpf_program prog;
    if (pcap_compile(dead, &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      std::string msg = std::string("bad filter expression '") + expr + "': " + pcap_geterr(dead);
      pcap_close(dead);
      ThrowCoded(env, "BAD_FILTER", msg);
    }
    pcap_close(dead);  // the compiled program does not refer to the handle
    prog_ = prog;
    compiled_ = true;
  }

  ~OfflineFilter() override {
    if (compiled_) pcap_freecode(&prog_);
  }

 private:
  // matches(data: Buffer, offset, caplen, wirelen): boolean
  Napi::Value Matches(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsBuffer()) {
      throw Napi::TypeError::New(env, "matches(data, offset, caplen, wirelen)");
    }
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    double off = info[1].As<Napi::Number>().DoubleValue();
    double cap = info[2].As<Napi::Number>().DoubleValue();
    double wire = info[3].As<Napi::Number>().DoubleValue();
    if (!(off >= 0 && cap >= 0 && off + cap <= static_cast<double>(buf.Length()))) {
      throw Napi::RangeError::New(env, "packet lies outside its buffer");
    }
    pcap_pkthdr hdr;
    std::memset(&hdr, 0, sizeof hdr);
    hdr.caplen = static_cast<bpf_u_int32>(cap);
    hdr.len = static_cast<bpf_u_int32>(wire < cap ? cap : wire);
    const u_char* data = buf.Data() + static_cast<size_t>(off);
    return Napi::Boolean::New(env, pcap_offline_filter(&prog_, &hdr, data) != 0);
  }

  bpf_program prog_{};
  bool compiled_ = false;
};

}  // namespace

Napi::Object InitOffline(Napi::Env env, Napi::Object exports) {
  exports.Set("OfflineFilter", OfflineFilter::Define(env));
  return exports;
}

}  // namespace pof
