// LiveCapture: one activated libpcap handle, read by a capture thread that
// hands packets to JS in batches.
//
// Why a thread and not uv_poll on pcap_get_selectable_fd: pof mostly runs
// inside web servers, whose event loop stalls for tens of milliseconds at a
// time (GC, request handlers, synchronous work). With uv_poll, every stall
// also stops draining the kernel ring, and a burst of SYNs during a stall is
// dropped. The thread keeps draining the ring whatever JS is doing and parks
// the packets in batches in process memory; only when JS falls behind by more
// than kMaxQueuedBytes does the thread stop reading, so back-pressure reaches
// the kernel and shows up in pcap_stats' drop count, as it would for p0f.
// The price is one copy per packet (needed anyway: pcap reuses its buffer)
// and one cross-thread hand-off per batch, coalesced so that JS is woken at
// most once per drain. close() wakes the thread through a self-pipe, joins it
// (bounded by one pcap_dispatch of kDispatchMax packets) and closes the
// handle at once: no packet needs to arrive first.
//
// Batches are written straight into slots: fixed-size blocks of memory made
// as the load needs them (at most kMaxQueuedBytes' worth) and then reused,
// each lent to JS once as an external ArrayBuffer and handed back to the
// thread when the JS callback returns. A steady load thus allocates nothing
// per batch: no malloc, no new ArrayBuffer, nothing for the garbage
// collector (fresh buffers per batch cost a live daemon more CPU than its
// packet decoding did). A slot's memory lives while either side holds it.
//
// JS takes batches a turn at a time (Pump): it walks packets for a few
// milliseconds, then says how far it got, and the rest of the queue waits
// for its next turn of the event loop. A flood thus delays a query on the
// same loop by one turn, not by everything queued (up to kMaxQueuedBytes,
// seconds of packets); meanwhile the thread keeps draining the kernel ring.
//
// Slot layout: kBatchPackets * kFields float64 packet headers (tsSec, tsUsec,
// caplen, wirelen, offset), then the packet bytes (offsets are relative to
// the start of that data region). Float64 keeps 64-bit time_t seconds exact
// up to 2^53.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common.h"
#include "dedup.h"

namespace pof {
namespace {

constexpr size_t kFields = 5;                        // float64s per packet header
constexpr size_t kBatchBytes = 256 * 1024;           // close a batch past this much packet data
constexpr size_t kBatchPackets = 4096;               // ... or this many packets
constexpr size_t kHdrBytes = kBatchPackets * kFields * sizeof(double);
constexpr int kDispatchMax = 1024;                   // packets per pcap_dispatch (bounds lock hold time)
constexpr size_t kMaxQueuedBytes = 32 * 1024 * 1024; // slot memory before back-pressure (a flood fills it only
                                                     // while JS is behind: it stays within the RSS cap)
constexpr int kPollSafetyMs = 250;                   // re-check the handle even if poll never fires

// One slot's memory, shared by the core and the ArrayBuffer JS holds.
struct SlotMem {
  uint8_t* p;
  explicit SlotMem(size_t n) : p(static_cast<uint8_t*>(std::malloc(n))) {}
  ~SlotMem() { std::free(p); }
  SlotMem(const SlotMem&) = delete;
  SlotMem& operator=(const SlotMem&) = delete;
};

struct Batch {
  uint32_t slot;
  uint32_t count;
  uint32_t start;  // packets before this one JS already took (a turn ended inside the batch)
};

struct Stats {
  double received = 0, droppedKernel = 0, droppedInterface = 0, duplicates = 0;
};

class LiveCapture;
struct Core;
void CallJs(Napi::Env env, Napi::Function cb, Core* core, void* unused);
using Tsfn = Napi::TypedThreadSafeFunction<Core, void, CallJs>;

// Everything the capture thread touches. Owned by the thread-safe function
// once that exists (deleted in its finalizer, after every queued call to
// CallJs has run), so that JS-side teardown order cannot free it under them.
struct Core {
  pcap_t* pcap = nullptr;
  int pcapFd = -1;
  int wakeRd = -1, wakeWr = -1;
  int linktype = 0;
  std::thread thread;
  Tsfn tsfn;
  LiveCapture* owner = nullptr;  // main thread only
  bool hookInstalled = false;    // main thread only

  std::mutex pcapMu;  // serialises pcap_* calls on `pcap` between the thread and JS

  // Slot geometry, fixed before the thread starts.
  size_t dataCap = 0;    // kBatchBytes + snaplen: a batch under kBatchBytes always fits one more packet
  size_t slotBytes = 0;  // kHdrBytes + dataCap
  size_t maxSlots = 0;

  std::mutex qMu;  // guards queue, slots (creation), made, maxSlots, freeSlots, error*
  std::condition_variable qCv;
  std::deque<Batch> queue;
  std::vector<std::shared_ptr<SlotMem>> slots;  // maxSlots entries, made on demand
  size_t made = 0;
  std::vector<uint32_t> freeSlots;
  std::string error;
  bool errorPending = false;

  std::vector<uint8_t> lent;  // main thread only: slots whose ArrayBuffer JS already holds

  std::atomic<bool> stop{false};
  std::atomic<bool> closed{false};
  std::atomic<bool> wakePending{false};
  std::atomic<uint64_t> droppedNoRoom{0};  // packets lost for want of a slot (see OnPacket)
  std::unique_ptr<Dedup> dedup;            // set before the thread starts, when asked for

  // The batch being filled and the next slot to fill: capture thread only.
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t cur = kNone, spare = kNone;
  uint8_t* curMem = nullptr;
  uint32_t count = 0;
  size_t dataLen = 0;
  std::vector<Batch> ready;

  ~Core() { Stop(); }

  void InitSlots(int snaplen) {
    dataCap = kBatchBytes + static_cast<size_t>(snaplen);
    slotBytes = kHdrBytes + dataCap;
    maxSlots = std::max<size_t>(4, kMaxQueuedBytes / slotBytes);
    slots.resize(maxSlots);
    freeSlots.reserve(maxSlots);
    lent.assign(maxSlots, 0);
  }

  // Idempotent; main thread. Leaves the handle closed and the thread gone.
  void Stop() {
    {
      std::lock_guard<std::mutex> lk(qMu);
      stop = true;
    }
    qCv.notify_all();
    if (wakeWr >= 0) {
      char c = 1;
      ssize_t ignored = write(wakeWr, &c, 1);
      (void)ignored;
    }
    if (thread.joinable()) thread.join();
    std::lock_guard<std::mutex> lk(pcapMu);
    if (pcap != nullptr) {
      pcap_close(pcap);  // also closes pcapFd
      pcap = nullptr;
      pcapFd = -1;
    }
    if (wakeRd >= 0) close(wakeRd);
    if (wakeWr >= 0) close(wakeWr);
    wakeRd = wakeWr = -1;
  }

  Stats ReadStats() {
    Stats s;
    std::lock_guard<std::mutex> lk(pcapMu);
    pcap_stat ps;
    if (pcap != nullptr && pcap_stats(pcap, &ps) == 0) {
      s.received = ps.ps_recv;
      // A packet the thread had no slot for was lost for want of buffer room, as kernel drops are.
      s.droppedKernel = ps.ps_drop + static_cast<double>(droppedNoRoom.load());
      s.droppedInterface = ps.ps_ifdrop;
    }
    if (dedup) s.duplicates = static_cast<double>(dedup->copies.load());
    return s;
  }

  // ---- capture thread ----

  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
    Core* c = reinterpret_cast<Core*>(user);
    if (c->dedup && c->dedup->IsCopy(h, bytes)) return;  // a second sight of a packet already taken
    // Run() makes sure of a slot before each dispatch and OnPacket breaks the
    // dispatch when it uses up the spare, so this is only a safety net.
    if (c->cur == kNone && !c->NextSlot()) {
      c->droppedNoRoom.fetch_add(1);
      return;
    }
    size_t caplen = std::min<size_t>(h->caplen, c->dataCap - c->dataLen);
    std::memcpy(c->curMem + kHdrBytes + c->dataLen, bytes, caplen);
    double* f = reinterpret_cast<double*>(c->curMem) + static_cast<size_t>(c->count) * kFields;
    f[0] = static_cast<double>(h->ts.tv_sec);
    f[1] = static_cast<double>(h->ts.tv_usec);
    f[2] = static_cast<double>(caplen);
    f[3] = static_cast<double>(h->len);
    f[4] = static_cast<double>(c->dataLen);
    c->dataLen += caplen;
    if (++c->count >= kBatchPackets || c->dataLen >= kBatchBytes) {
      c->FinishBatch();
      // Back to Run() before the next packet, to get a new spare outside the handle's lock.
      pcap_breakloop(c->pcap);
    }
  }

  // The current batch, if it has packets, goes to the ready list and the spare becomes current.
  void FinishBatch() {
    if (cur == kNone || count == 0) return;
    ready.push_back(Batch{cur, count, 0});
    cur = kNone;
    count = 0;
    dataLen = 0;
    NextSlot();
  }

  // Makes the spare (failing that, any free slot) current. Never waits.
  bool NextSlot() {
    if (spare == kNone) {
      std::lock_guard<std::mutex> lk(qMu);
      spare = TakeSlotLocked();
    }
    if (spare == kNone) return false;
    UseSpare();
    return true;
  }

  // The spare (there is one) becomes the slot being filled.
  void UseSpare() {
    cur = spare;
    spare = kNone;
    curMem = slots[cur]->p;
  }

  // A free slot, or a new one while under maxSlots; kNone if neither. qMu held.
  uint32_t TakeSlotLocked() {
    if (!freeSlots.empty()) {
      uint32_t i = freeSlots.back();
      freeSlots.pop_back();
      return i;
    }
    if (made >= maxSlots) return kNone;
    auto mem = std::make_shared<SlotMem>(slotBytes);
    if (mem->p == nullptr) {  // out of memory: make do with the slots there are
      maxSlots = made;
      return kNone;
    }
    slots[made] = std::move(mem);
    return static_cast<uint32_t>(made++);
  }

  // Main thread: JS took the head batch `b` up to packet `upTo`. A batch
  // taken whole leaves the queue and its slot goes back to the thread; one
  // taken in part stays at the head, to go on from `upTo`.
  void Settle(const Batch& b, uint32_t upTo) {
    {
      std::lock_guard<std::mutex> lk(qMu);
      if (queue.empty() || queue.front().slot != b.slot) return;  // closed meanwhile
      if (upTo < b.count) {
        queue.front().start = upTo;
        return;
      }
      queue.pop_front();
      freeSlots.push_back(b.slot);
    }
    qCv.notify_one();
  }

  void WakeJs() {
    if (!wakePending.exchange(true)) tsfn.NonBlockingCall();
  }

  void Publish() {
    if (ready.empty()) return;
    {
      std::lock_guard<std::mutex> lk(qMu);
      for (Batch& b : ready) queue.push_back(b);
    }
    ready.clear();
    WakeJs();
  }

  void Fail(const std::string& msg) {
    {
      std::lock_guard<std::mutex> lk(qMu);
      error = msg;
      errorPending = true;
    }
    WakeJs();
  }

  // Makes sure a batch can be filled and the next one started without
  // waiting inside pcap_dispatch: a current slot and a spare. Waits while
  // every slot is with JS (back-pressure). False once stopping.
  bool WaitForRoom() {
    if (cur != kNone && spare != kNone) return true;
    std::unique_lock<std::mutex> lk(qMu);
    for (;;) {
      if (stop.load()) return false;
      if (spare == kNone) spare = TakeSlotLocked();
      if (cur == kNone && spare != kNone) {
        UseSpare();
        continue;
      }
      if (cur != kNone && spare != kNone) return true;
      qCv.wait(lk);
    }
  }

  void Run() {
    while (!stop.load()) {
      pollfd fds[2] = {{pcapFd, POLLIN, 0}, {wakeRd, POLLIN, 0}};
      int r = poll(fds, 2, kPollSafetyMs);
      if (r < 0 && errno != EINTR) {
        Fail(std::string("poll on the capture handle failed: ") + std::strerror(errno));
        return;
      }
      if (stop.load()) return;
      for (;;) {  // drain everything the kernel has ready
        if (!WaitForRoom()) return;
        int n;
        std::string err;
        {
          std::lock_guard<std::mutex> lk(pcapMu);
          n = pcap_dispatch(pcap, kDispatchMax, OnPacket, reinterpret_cast<u_char*>(this));
          if (n == PCAP_ERROR) err = pcap_geterr(pcap);
        }
        if (n == PCAP_ERROR) {
          FinishBatch();
          Publish();
          Fail("capture failed: " + err);
          return;
        }
        if (n == PCAP_ERROR_BREAK) {  // OnPacket filled a batch
          Publish();
          continue;
        }
        if (n <= 0) break;
        Publish();
      }
      FinishBatch();
      Publish();
    }
  }
};

// Hands queued batches to JS: onBatch(slot, count, arrayBuffer, start, fresh)
// for each, `arrayBuffer` only the first time JS sees the slot, `fresh` for
// the first call of a turn. onBatch returns how far it got: the whole batch
// (count), or less when its turn's time is up; the rest of that batch stays
// at the head of the queue and Pump returns. JS then asks for the rest with
// pump() on its next turn (setImmediate), after the event loop has served
// sockets and timers, so that a flood cannot hold a query for long. While it
// is between turns, wakePending stays set and the thread does not wake it.
void Pump(Napi::Env env, Napi::Function cb, Core* core) {
  core->wakePending.store(false);
  bool fresh = true;
  for (;;) {
    if (core->closed.load()) return;
    Batch b{};
    bool have = false;
    std::shared_ptr<SlotMem> mem;
    std::string err;
    bool haveErr = false;
    {
      std::lock_guard<std::mutex> lk(core->qMu);
      if (!core->queue.empty()) {
        b = core->queue.front();
        if (!core->lent[b.slot]) mem = core->slots[b.slot];
        have = true;
      } else if (core->errorPending) {
        err = core->error;
        core->errorPending = false;
        haveErr = true;
      }
    }
    if (!have && !haveErr) return;
    try {
      if (have) {
        Napi::Value ab = env.Undefined();
        if (mem) {
          auto* hold = new std::shared_ptr<SlotMem>(mem);
          ab = Napi::ArrayBuffer::New(
              env, mem->p, core->slotBytes, [](Napi::Env, void*, std::shared_ptr<SlotMem>* h) { delete h; }, hold);
          core->lent[b.slot] = 1;
        }
        // However the callback ends (a throw included), the batch counts as taken unless JS said otherwise.
        uint32_t upTo = b.count;
        struct Settle {
          Core* core;
          const Batch& b;
          const uint32_t& upTo;
          ~Settle() { core->Settle(b, upTo); }
        } settle{core, b, upTo};
        Napi::Value r = cb.Call({Napi::Number::New(env, b.slot), Napi::Number::New(env, b.count), ab,
                                 Napi::Number::New(env, b.start), Napi::Boolean::New(env, fresh)});
        fresh = false;
        if (r.IsNumber()) {
          double v = r.As<Napi::Number>().DoubleValue();
          if (v >= b.start && v < b.count) upTo = static_cast<uint32_t>(v);
        }
        if (upTo < b.count) {
          core->wakePending.store(true);  // JS comes back on its own (pump())
          return;
        }
      } else {
        cb.Call({env.Undefined(), Napi::Number::New(env, 0), env.Undefined(), Napi::Number::New(env, 0),
                 Napi::Boolean::New(env, false), Napi::String::New(env, err)});
      }
    } catch (Napi::Error& e) {
      // Let JS see the exception; deliver what is left on the next turn.
      core->wakePending.store(true);
      core->tsfn.NonBlockingCall();
      e.ThrowAsJavaScriptException();
      return;
    }
  }
}

void CallJs(Napi::Env env, Napi::Function cb, Core* core, void* /*unused*/) {
  if (env == nullptr || core == nullptr) return;  // torn down: ~Core lets the slots go
  Pump(env, cb, core);
}

void EnvTeardown(void* arg) {
  Core* core = static_cast<Core*>(arg);
  core->hookInstalled = false;
  core->Stop();
}

class LiveCapture : public Napi::ObjectWrap<LiveCapture> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LiveCapture",
                       {
                           InstanceMethod<&LiveCapture::SetFilter>("setFilter"),
                           InstanceMethod<&LiveCapture::GetStats>("stats"),
                           InstanceMethod<&LiveCapture::Datalink>("datalink"),
                           InstanceMethod<&LiveCapture::Close>("close"),
                           InstanceMethod<&LiveCapture::Ref>("ref"),
                           InstanceMethod<&LiveCapture::Unref>("unref"),
                           InstanceMethod<&LiveCapture::Warning>("warning"),
                           InstanceMethod<&LiveCapture::SkipsSentCopies>("skipsSentCopies"),
                           InstanceMethod<&LiveCapture::SlotHeaderBytes>("slotHeaderBytes"),
                           InstanceMethod<&LiveCapture::PumpJs>("pump"),
                       });
  }

  // new LiveCapture(iface, snaplen, promisc, bufferSize (0 = libpcap's), timeoutMs,
  //                 filter (string | null), onBatch(slot, count, ab, start, fresh, error?),
  //                 dedup (leave out copies of a packet: see dedup.h))
  explicit LiveCapture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveCapture>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 7 || !info[0].IsString() || !info[6].IsFunction()) {
      throw Napi::TypeError::New(env, "LiveCapture(iface, snaplen, promisc, bufferSize, timeoutMs, filter, onBatch, dedup)");
    }
    bool dedup = info.Length() > 7 && info[7].ToBoolean().Value();
    std::string iface = info[0].As<Napi::String>().Utf8Value();
    int snaplen = info[1].As<Napi::Number>().Int32Value();
    bool promisc = info[2].ToBoolean().Value();
    int bufferSize = info[3].As<Napi::Number>().Int32Value();
    int timeoutMs = info[4].As<Napi::Number>().Int32Value();

    auto core = std::make_unique<Core>();
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    core->pcap = pcap_create(iface.c_str(), errbuf);
    if (core->pcap == nullptr) ThrowCoded(env, "ERROR", std::string(iface) + ": " + errbuf);
    pcap_t* p = core->pcap;
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    if (bufferSize > 0) pcap_set_buffer_size(p, bufferSize);
    pcap_set_timeout(p, timeoutMs);
    pcap_set_immediate_mode(p, 0);
    int rc = pcap_activate(p);
    if (rc < 0) {
      std::string detail = pcap_geterr(p);
      if (detail.empty()) detail = pcap_statustostr(rc);
      const char* code = "ERROR";
      switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE: code = "NO_SUCH_DEVICE"; break;
        case PCAP_ERROR_PERM_DENIED: code = "PERM_DENIED"; break;
        case PCAP_ERROR_PROMISC_PERM_DENIED: code = "PROMISC_PERM_DENIED"; break;
        case PCAP_ERROR_IFACE_NOT_UP: code = "IFACE_NOT_UP"; break;
        default: break;
      }
      ThrowCoded(env, code, iface + ": " + detail);  // ~Core closes the handle
    }
    if (rc > 0) {
      warning_ = pcap_geterr(p);
      if (warning_.empty()) warning_ = pcap_statustostr(rc);
    }
    core->linktype = DltToLinktype(pcap_datalink(p));
    dlt_ = pcap_datalink(p);
    if (dedup) core->dedup = std::make_unique<Dedup>(dlt_);
    skipsSentCopies_ = SkipSentCopiesOnLoopback(pcap_fileno(p), iface);

    bpf_u_int32 net = 0, mask = 0;
    netmask_ = pcap_lookupnet(iface.c_str(), &net, &mask, errbuf) == 0 ? mask : PCAP_NETMASK_UNKNOWN;
    if (info[5].IsString()) ApplyFilter(env, core.get(), info[5].As<Napi::String>().Utf8Value());

    if (pcap_setnonblock(p, 1, errbuf) != 0) ThrowCoded(env, "ERROR", iface + ": " + errbuf);
    core->pcapFd = pcap_get_selectable_fd(p);
    if (core->pcapFd < 0) ThrowCoded(env, "ERROR", iface + ": this device cannot be polled");
    fcntl(core->pcapFd, F_SETFD, fcntl(core->pcapFd, F_GETFD) | FD_CLOEXEC);
    int pipefd[2];
    if (pipe(pipefd) != 0) ThrowCoded(env, "ERROR", std::string("pipe: ") + std::strerror(errno));
    core->wakeRd = pipefd[0];
    core->wakeWr = pipefd[1];
    for (int fd : pipefd) {
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    core->InitSlots(snaplen);

    // From here on the thread-safe function owns the core.
    Core* c = core.release();
    c->owner = this;
    c->tsfn = Tsfn::New(env, info[6].As<Napi::Function>(), "pof.live", 0, 1, c,
                        [](Napi::Env fenv, void*, Core* ctx) {
                          if (ctx->owner != nullptr) ctx->owner->core_ = nullptr;
                          if (ctx->hookInstalled) napi_remove_env_cleanup_hook(fenv, EnvTeardown, ctx);
                          delete ctx;
                        });
    if (napi_add_env_cleanup_hook(env, EnvTeardown, c) == napi_ok) c->hookInstalled = true;
    core_ = c;
    onBatch_ = Napi::Persistent(info[6].As<Napi::Function>());
    c->thread = std::thread([c] { c->Run(); });
  }

  ~LiveCapture() override {
    if (core_ != nullptr) {
      core_->owner = nullptr;
      Shutdown();
    }
  }

 private:
  static void ApplyFilter(Napi::Env env, Core* core, const std::string& expr, bpf_u_int32 netmask) {
    std::lock_guard<std::mutex> lk(core->pcapMu);
    if (core->pcap == nullptr) ThrowCoded(env, "CLOSED", "capture is closed");
    bpf_program prog;
    CompileOrThrow(env, core->pcap, &prog, expr, netmask);
    int rc = pcap_setfilter(core->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) ThrowCoded(env, "BAD_FILTER", std::string("cannot set filter '") + expr + "': " + pcap_geterr(core->pcap));
  }
  void ApplyFilter(Napi::Env env, Core* core, const std::string& expr) { ApplyFilter(env, core, expr, netmask_); }

  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "setFilter(expr)");
    if (core_ == nullptr) ThrowCoded(env, "CLOSED", "capture is closed");
    ApplyFilter(env, core_, info[0].As<Napi::String>().Utf8Value());
    return env.Undefined();
  }

  Napi::Value GetStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Stats s = core_ != nullptr ? core_->ReadStats() : final_;
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, s.received));
    o.Set("droppedKernel", Napi::Number::New(env, s.droppedKernel));
    o.Set("droppedInterface", Napi::Number::New(env, s.droppedInterface));
    o.Set("duplicates", Napi::Number::New(env, s.duplicates));
    return o;
  }

  Napi::Value Datalink(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("linkType", Napi::Number::New(env, DltToLinktype(dlt_)));
    o.Set("dlt", Napi::Number::New(env, dlt_));
    const char* name = pcap_datalink_val_to_name(dlt_);
    o.Set("name", name != nullptr ? Napi::Value(Napi::String::New(env, name)) : env.Null());
    return o;
  }

  // Where packet bytes start in each slot's ArrayBuffer (the headers come first).
  Napi::Value SlotHeaderBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(kHdrBytes));
  }

  // pump(): JS's next turn after one that ended with batches left (see Pump).
  Napi::Value PumpJs(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) Pump(info.Env(), onBatch_.Value(), core_);
    return info.Env().Undefined();
  }

  Napi::Value SkipsSentCopies(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), skipsSentCopies_);
  }

  // On the loopback interface every packet passes twice, as sent and as
  // received; libpcap throws the sent copy away, but only after the kernel
  // has run the filter on it and copied it into the ring, in the context of
  // the process that sent it (a web server sending on lo pays for its own
  // packets' copies). Linux 4.20+ can leave sent packets out of a packet
  // socket altogether; older kernels refuse the option, which changes
  // nothing. Other interfaces keep their sent packets (a server's own
  // SYN+ACKs are fingerprinted).
  static bool SkipSentCopiesOnLoopback(int fd, const std::string& iface) {
#if defined(__linux__) && defined(PACKET_IGNORE_OUTGOING)
    if (fd < 0 || iface.size() >= IFNAMSIZ) return false;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return false;
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::memcpy(ifr.ifr_name, iface.c_str(), iface.size());
    bool loopback = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK) != 0;
    close(s);
    if (!loopback) return false;
    int one = 1;
    return setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) == 0;
#else
    (void)fd;
    (void)iface;
    return false;
#endif
  }

  Napi::Value Warning(const Napi::CallbackInfo& info) {
    return warning_.empty() ? info.Env().Null() : Napi::Value(Napi::String::New(info.Env(), warning_));
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) core_->tsfn.Ref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) core_->tsfn.Unref(info.Env());
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (core_ != nullptr) Shutdown();
    return info.Env().Undefined();
  }

  // Stops the thread, closes the handle and its fds now, and lets the
  // thread-safe function go (queued batches are discarded by ~Core).
  void Shutdown() {
    Core* c = core_;
    core_ = nullptr;
    final_ = c->ReadStats();
    c->closed = true;
    c->Stop();
    c->tsfn.Release();
  }

  Core* core_ = nullptr;
  Napi::FunctionReference onBatch_;
  Stats final_;
  int dlt_ = 0;
  bpf_u_int32 netmask_ = PCAP_NETMASK_UNKNOWN;
  std::string warning_;
  bool skipsSentCopies_ = false;
};

}  // namespace

Napi::Object InitLive(Napi::Env env, Napi::Object exports) {
  exports.Set("LiveCapture", LiveCapture::Define(env));
  return exports;
}

}  // namespace pof
