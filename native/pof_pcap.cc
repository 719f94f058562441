// pof's libpcap binding: live capture (live.cc), offline BPF filtering of
// capture-file packets (offline.cc) and interface listing (devices.cc).
// The TypeScript side is src/capture/live.ts and src/capture/filter.ts.

#include "common.h"

namespace {

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), pcap_lib_version());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("libVersion", Napi::Function::New(env, LibVersion, "libVersion"));
  pof::InitLive(env, exports);
  pof::InitOffline(env, exports);
  pof::InitDevices(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(pof_pcap, Init)
