// Saved SYNs (Linux): a listening TCP socket with TCP_SAVE_SYN keeps the
// headers of each connection's SYN, and the accepted socket hands them out
// once with getsockopt(TCP_SAVED_SYN). pof fingerprints those bytes without
// a capture, without root. The TypeScript side is src/web/saved-syn.ts.
//
//   setSaveSyn(fd, mode)  mode 0 off, 1 IP + TCP headers, 2 link header too
//                         (Linux 5.10+); throws an Error with `code` (errno
//                         name) on failure
//   getSavedSyn(fd)       Buffer with the saved headers, or null when the
//                         kernel has none (already read, not enabled, or a
//                         connection accepted before it was)
//   getSavedSynInto(fd, buf)
//                         the same into a Buffer of the caller's (no
//                         allocation): the number of bytes written, 0 when
//                         the kernel has none, or minus the size needed when
//                         `buf` is too small (the SYN is then still there)
//   getNames(fd, buf)     both ends of a connected TCP socket in one call
//                         (getpeername + getsockname): 4 or 6 (the family),
//                         0 when either fails; `buf` (36 bytes or more)
//                         gets the peer's address (16 bytes, IPv4 in the
//                         first 4), the local address, then both ports
//                         (big-endian)
//   supported             true on Linux

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#if defined(__linux__)
#include <netinet/in.h>
#include <sys/socket.h>
#ifndef TCP_SAVE_SYN
#define TCP_SAVE_SYN 27
#endif
#ifndef TCP_SAVED_SYN
#define TCP_SAVED_SYN 28
#endif
#endif

namespace {

[[noreturn]] void ThrowErrno(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  const char* name = "EUNKNOWN";
  switch (err) {
    case EBADF: name = "EBADF"; break;
    case EINVAL: name = "EINVAL"; break;
    case ENOTSOCK: name = "ENOTSOCK"; break;
    case ENOPROTOOPT: name = "ENOPROTOOPT"; break;
    case EOPNOTSUPP: name = "EOPNOTSUPP"; break;
    case EPERM: name = "EPERM"; break;
    case ENOMEM: name = "ENOMEM"; break;
    default: break;
  }
  e.Value().Set("code", Napi::String::New(env, name));
  e.Value().Set("errno", Napi::Number::New(env, err));
  throw e;
}

int FdArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "a file descriptor (number) is required");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(info.Env(), "the file descriptor must be >= 0");
  return fd;
}

// The Buffer argument at `i`, of at least `min` bytes.
Napi::Buffer<unsigned char> BufferArg(const Napi::CallbackInfo& info, size_t i, size_t min) {
  if (info.Length() <= i || !info[i].IsBuffer()) throw Napi::TypeError::New(info.Env(), "a Buffer to fill is required");
  Napi::Buffer<unsigned char> buf = info[i].As<Napi::Buffer<unsigned char>>();
  if (buf.Length() < min) throw Napi::RangeError::New(info.Env(), "the Buffer must hold " + std::to_string(min) + " bytes");
  return buf;
}

Napi::Value SetSaveSyn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  int mode = 1;
  if (info.Length() > 1) {
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "mode must be 0, 1 or 2");
    mode = info[1].As<Napi::Number>().Int32Value();
    if (mode < 0 || mode > 2) throw Napi::TypeError::New(env, "mode must be 0, 1 or 2");
  }
#if defined(__linux__)
  if (setsockopt(fd, IPPROTO_TCP, TCP_SAVE_SYN, &mode, sizeof(mode)) != 0) ThrowErrno(env, "setsockopt(TCP_SAVE_SYN)", errno);
  return env.Undefined();
#else
  (void)fd;
  ThrowErrno(env, "TCP_SAVE_SYN", EOPNOTSUPP);
#endif
}

Napi::Value GetSavedSyn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
#if defined(__linux__)
  // Link (up to 14 + VLAN), IP (60 / 40 + extension headers) and TCP (60)
  // headers fit in 512 bytes; the kernel says so (EINVAL + the size) when not.
  std::vector<unsigned char> buf(512);
  for (int attempt = 0; attempt < 2; attempt++) {
    socklen_t len = static_cast<socklen_t>(buf.size());
    if (getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, buf.data(), &len) == 0) {
      if (len == 0) return env.Null();
      return Napi::Buffer<unsigned char>::Copy(env, buf.data(), len);
    }
    int err = errno;
    if (err == ENOENT) return env.Null();
    if (err == EINVAL && len > buf.size() && len <= 65536) {
      buf.resize(len);
      continue;
    }
    ThrowErrno(env, "getsockopt(TCP_SAVED_SYN)", err);
  }
  return env.Null();
#else
  (void)fd;
  ThrowErrno(env, "TCP_SAVED_SYN", EOPNOTSUPP);
#endif
}

Napi::Value GetSavedSynInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  Napi::Buffer<unsigned char> buf = BufferArg(info, 1, 0);
#if defined(__linux__)
  socklen_t len = static_cast<socklen_t>(buf.Length());
  if (getsockopt(fd, IPPROTO_TCP, TCP_SAVED_SYN, buf.Data(), &len) == 0) return Napi::Number::New(env, len);
  int err = errno;
  if (err == ENOENT) return Napi::Number::New(env, 0);
  if (err == EINVAL && len > buf.Length()) return Napi::Number::New(env, -static_cast<double>(len));
  ThrowErrno(env, "getsockopt(TCP_SAVED_SYN)", err);
#else
  (void)fd;
  (void)buf;
  ThrowErrno(env, "TCP_SAVED_SYN", EOPNOTSUPP);
#endif
}

#if defined(__linux__)
// Copies one socket address's bytes to `out` and its port to `port` (both in
// network order); returns its family (4 or 6), or 0 for any other.
int PutName(const sockaddr_storage& ss, unsigned char* out, unsigned char* port) {
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    std::memcpy(out, &a->sin_addr, 4);
    std::memcpy(port, &a->sin_port, 2);
    return 4;
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    std::memcpy(out, &a->sin6_addr, 16);
    std::memcpy(port, &a->sin6_port, 2);
    return 6;
  }
  return 0;
}
#endif

Napi::Value GetNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info);
  Napi::Buffer<unsigned char> buf = BufferArg(info, 1, 36);
#if defined(__linux__)
  unsigned char* out = buf.Data();
  sockaddr_storage peer{};
  sockaddr_storage self{};
  socklen_t pl = sizeof(peer);
  socklen_t sl = sizeof(self);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) return Napi::Number::New(env, 0);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&self), &sl) != 0) return Napi::Number::New(env, 0);
  int f1 = PutName(peer, out, out + 32);
  int f2 = PutName(self, out + 16, out + 34);
  return Napi::Number::New(env, f1 != 0 && f1 == f2 ? f1 : 0);
#else
  (void)fd;
  (void)buf;
  ThrowErrno(env, "getNames", EOPNOTSUPP);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setSaveSyn", Napi::Function::New(env, SetSaveSyn, "setSaveSyn"));
  exports.Set("getSavedSyn", Napi::Function::New(env, GetSavedSyn, "getSavedSyn"));
  exports.Set("getSavedSynInto", Napi::Function::New(env, GetSavedSynInto, "getSavedSynInto"));
  exports.Set("getNames", Napi::Function::New(env, GetNames, "getNames"));
#if defined(__linux__)
  exports.Set("supported", Napi::Boolean::New(env, true));
#else
  exports.Set("supported", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(pof_saved_syn, Init)
