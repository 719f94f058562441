;
; pof signature database
; ======================
;
; The database pof ships. It uses p0f v3's p0f.fp syntax, so p0f's reader and
; pof's read it alike, and p0f's matching rules apply (see docs/signatures.md
; and section 5 of p0f's README). Written for pof; it is not a copy of p0f's
; file, although both describe the same TCP/IP stacks.
;
; Conventions
;
;   * Labels are "type:class:name:flavor". Names are OS or product names as
;     their makers spell them today (Windows, Linux, Android, macOS, iOS,
;     FreeBSD ...). The flavor says which releases, and "(or ...)" when a
;     look-alike is known.
;   * When two systems send byte-for-byte the same SYN, the label says so
;     ("macOS or iOS") rather than guessing one of them.
;   * Userland tools (scanners, packet crafters) use class '!' and a sys line,
;     so that p0f and pof report them as applications, not as the host's OS.
;   * Every group starts with a comment saying what it rests on: flows in
;     pof's dev corpus (public test captures; "dev: N SYNs" counts packets,
;     "UA" means the HTTP User-Agent seen on the same connection) and/or
;     published facts (stack source code, vendor documentation, tool source).
;   * MSS is '*' for ordinary OSes (it follows the link), windows are written
;     as mss*N where the stack derives them from the MSS.
;   * '*' signatures that carry both IPv4-only quirks (df, id+) and 'flow'
;     match IPv4 packets with DF and a non-zero IP ID, and IPv6 packets with
;     a flow label: each IP version only looks at its own quirks. Stacks that
;     label their IPv6 flows (Linux, Android, Apple, FreeBSD) are written so.
;   * Within a section the first specific match wins; 'g' (generic) lines are
;     last-resort answers used only when no specific line matches.
;

classes = win,unix,other,net

; ------------------------------------------------------------------------
; Link types by MTU (MSS + 40 for IPv4, + 60 for IPv6).
; ------------------------------------------------------------------------

[mtu]

label = Ethernet
sig   = 1500

label = PPPoE
sig   = 1492

label = IPv4 in IPv4 or 6in4 tunnel
sig   = 1480

label = GRE tunnel
sig   = 1476

label = VXLAN or Geneve overlay
sig   = 1450

label = IPsec, mobile carrier or VPN
sig   = 1400
sig   = 1440

label = WireGuard
sig   = 1420

label = Google Cloud VM network
sig   = 1460

label = IPv6 minimum or tunnel
sig   = 1280

label = legacy minimum (576)
sig   = 576

label = jumbo frames
sig   = 9000
sig   = 9001

label = macOS loopback
sig   = 16384

label = Linux loopback (old kernels)
sig   = 16436

label = Linux or Windows loopback
sig   = 65535

; ========================================================================
; Client SYNs
; ========================================================================

[tcp:request]

; ------------------------------------------------------------------------
; Windows
;
; Every Windows from 2000 on sends MSS, (NOP, WS,) NOP, NOP, SACK-permitted,
; TTL 128, DF with a running IP ID. What tells releases apart is the window.
; ------------------------------------------------------------------------

; Windows 10 from 1703 on, Windows 11 and Server 2016 and later open with a
; 64240-byte window (44 x 1460) and scale 8; the SYN of 10 and 11 is the same,
; so they are not split. Public fingerprint sets (satori's tcp.xml, huginn-net)
; record 64240/ws 8 for Windows 10 15063 and later. dev: 47 SYNs, 4 with a
; Windows NT 10.0 UA (Firefox 91, Slack, CryptoAPI, Delivery Optimization).
label = s:win:Windows:10 or 11 (or Server 2016+)
sig   = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0

; Windows loopback: MSS 65495, 64K window (dev: 1 IPv4 and 1 IPv6 SYN in
; database-client captures, TTL 128 and Windows' option order).
label = s:win:Windows:(loopback)
sig   = *:128:0:65495:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:65475:65535,8:mss,nop,ws,nop,nop,sok:df,id+,flow:0

; A fixed 65535-byte window with scale 8 is recorded for Windows 8 and for
; Windows 10 (satori); no dev flow shows it with a Windows UA.
label = s:win:Windows:8, 10 or 11
sig   = *:128:0:*:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0

; An 8192-byte window with scale 8 is Windows 7 and 8.x, and also Windows 10
; builds before 1703 (satori lists 8192/ws 8 for build 14393). dev: 59 SYNs
; in 30 captures; UAs say Windows NT 6.1, 6.3 and, in a 2016 capture, 10.0.
label = s:win:Windows:7, 8.x or 10 before 1703
sig   = *:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0

; Scale 2 and the no-scaling form with the same 8192 window are Vista and 7
; (and 8 with scaling turned down). dev: 42 SYNs with scale 2 (UAs Windows
; NT 6.1: Firefox 3.5/7, MSIE 8, BITS 7.0), 3 without (Windows NT 6.1).
; The variant with timestamps is Windows 7 with RFC 1323 options on (satori).
label = s:win:Windows:Vista, 7 or 8.x
sig   = *:128:0:*:8192,2:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:8192,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:8192,2:mss,nop,ws,sok,ts:df,id+:0

; Windows 2000, XP and Server 2003: no window scaling by default; the window
; is 65535, 16384 (XP on some links), 64512, or the largest multiple of the
; MSS under 64K (44 x 1460, 45 x 1440, 46 x 1400...). dev: 102 SYNs at
; 16384, 68 at 65535, 65 at 44 x MSS and a few others, in 59 captures; their
; UAs say Windows NT 5.0 and 5.1 (MSIE 6-8, Firefox 3.0-3.5, Java 1.6).
label = s:win:Windows:2000, XP or Server 2003
sig   = *:128:0:*:65535,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:16384,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:64512,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*44,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*45,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*46,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*12,0:mss,nop,nop,sok:df,id+:0
; XP/2003 with RFC 1323 timestamps switched on send a zero timestamp (ts1-);
; dev: 6 SYNs from one host in a 2004 capture; satori records the same zero
; timestamp for XP.
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0

; A fixed 64K window with small scale factors: XP and 2003 with scaling
; enabled (dev: 5 SYNs, UAs Windows NT 5.1 and 5.2) and Vista/7 with receive
; autotuning disabled (satori lists 65535 with ws 1-3 for 7 and Vista).
label = s:win:Windows:XP to 7 (fixed 64K window)
sig   = *:128:0:*:65535,0:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:65535,1:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:65535,2:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:65535,3:mss,nop,ws,nop,nop,sok:df,id+:0

; Anything else with Windows' option order and TTL.
label = g:win:Windows:
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,ws,sok,ts:df,id+:0

; ------------------------------------------------------------------------
; Android
;
; Android runs Linux, so its SYN has Linux's option order (MSS, SACK-OK,
; timestamps, NOP, WS). What differs is the window: Android kernels have a
; sysctl for the initial receive window (tcp_default_init_rwnd), which
; Android's ConnectivityService sets from the device's
; net.tcp.default_init_rwnd (commonly 60 segments) since Android 5; over 64K,
; the SYN advertises the full 65535 (a SYN's window is never scaled), with a
; scale of 7 to 10 or more. Desktop and server kernels with default settings
; advertise a multiple of the MSS instead (below), and so do Android 4.x
; phones, which do not set it (see "2.6.39 to 3.x").
; dev: 73 SYNs in 19 captures; 5 flows carry an Android agent (scale 8, 9,
; 10: Android 9-11, Chrome, Dalvik, WebView) and one more a desktop agent
; from the same phone; most of the rest are in phone captures (android,
; viber, snapchat, xiaomi, mobile games). A server with a hand-tuned
; tcp_rmem default above 64K looks the same.
; ------------------------------------------------------------------------

label = s:unix:Android:
sig   = *:64:0:*:65535,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:65535,*:mss,sok,ts,nop,ws:df,id+:0
; Small scale factors with the 4.19+ window are Android as well: dev has one
; such SYN inside a GTP tunnel (mobile core network), and p0f 3.09b's own
; data lists scale 1 and 3 for Android.
sig   = *:64:0:*:mss*44,1:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,3:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,1:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,3:mss,sok,ts,nop,ws:df,id+:0

; ------------------------------------------------------------------------
; Linux
;
; Option order MSS, SACK-OK, TS, NOP, WS; TTL 64; DF with a non-zero IP ID;
; IPv6 flows carry a flow label (kernels since 3.x). The SYN window tells
; the kernel era:
;   2.4-2.6.38    4 x MSS (5840)
;   2.6.39-3.x    10 x MSS (14600) - initial receive window of 10 segments
;   3.10-4.18     20 x MSS (29200) - RHEL 7's 3.10 already does this
;   4.19 and on   the largest multiple of the MSS that fits 64K (44 x 1460,
;                 45 x 1440, 46 x 1400-1424 ...), from the 128K tcp_rmem
;                 default introduced in 4.19
; ChromeOS runs the same kernels with the same defaults; no SYN difference
; is known, so it is reported as Linux.
; ------------------------------------------------------------------------

; dev: 175 SYNs in 55 captures, 155 of them at 44 x 1460 with scale 7 (UAs:
; Firefox 89 on Ubuntu, VLC 3, curl 8.5, Python websockets); others at
; 45/46 x MSS over tunnels and IPv6 (MSS 1440, 1420, 1410); scale 10-12 on
; tuned hosts.
label = s:unix:Linux:4.19 or newer
sig   = *:64:0:*:mss*44,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*46,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*47,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*48,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*49,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*50,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*44,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*46,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*47,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*48,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*49,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:mss*50,*:mss,sok,ts,nop,ws:df,id+:0

; dev: 29 SYNs at 20 x MSS in 23 captures (UAs Firefox 38 on Fedora, curl
; 7.35 and 7.50), IPv4 and IPv6; satori records 29200 for RHEL 7.5 and
; Ubuntu 18.04.
label = s:unix:Linux:3.10 to 4.18
sig   = *:64:0:*:mss*20,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*20,*:mss,sok,ts,nop,ws:df,id+:0

; dev: 93 SYNs at 10 x MSS (scale 1-7) in 15 captures. Linux hosts among
; them: OpenSSH 6.7 clients (Debian 8 era) in the ssh captures, a Linux-based
; switch OS in an OpenFlow capture (of10_7050sx_bsn). Android 4.x phones run
; these kernels (3.0-3.10) without Android's later larger initial window
; (below) and send the same SYN: dev has 11 from an Android 4.4 phone
; (KakaoTalk, Dalvik agent) and 5 from another (Instagram on Android 4.4.2).
; The flavor says so, which makes the label a merge of Linux and Android.
label = s:unix:Linux:2.6.39 to 3.x (or Android 4.x)
sig   = *:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df,id+:0

; dev: 158 SYNs in 24 captures: 93 + 31 + 21 at 4 x MSS with scale 5, 6, 7
; (UAs Firefox 3.5-3.6 on Ubuntu 9.10/10.04), 13 with scale 0-2 (curl 7.9.5
; on i586 Linux, Wget 1.10).
label = s:unix:Linux:2.4 to 2.6.38
sig   = *:64:0:*:mss*4,*:mss,sok,ts,nop,ws:df,id+:0

; Loopback. 4.19 and newer: MSS 65495 (65476 over IPv6) and a window equal
; to it (dev: 68 SYNs; UAs Firefox 68-128 and Chrome 84 on Linux, curl
; 7.74/8.5); 3.x-4.18: window 43690, two thirds of 64K (dev: 57 SYNs);
; 2.6-3.5: MSS 16396 from the old 16436-byte loopback MTU (dev: 3 SYNs).
label = s:unix:Linux:(loopback)
sig   = *:64:0:65495:65495,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:65476:65476,*:mss,sok,ts,nop,ws:flow:0
sig   = *:64:0:65495:43690,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:65476:43690,*:mss,sok,ts,nop,ws:flow:0
sig   = *:64:0:65476:43690,*:mss,sok,ts,nop,ws::0
sig   = *:64:0:16396:mss*2,*:mss,sok,ts,nop,ws:df,id+:0

; Linux with net.ipv4.tcp_timestamps=0: NOP, NOP take the timestamp's place.
; dev: 15 SYNs in 9 captures (UAs Firefox 81 on Linux, uclient-fetch on
; OpenWrt, curl 7.64).
label = s:unix:Linux:(timestamps off)
sig   = *:64:0:*:*,*:mss,nop,nop,sok,nop,ws:df,id+,flow:0
sig   = *:64:0:*:*,*:mss,nop,nop,sok,nop,ws:df,id+:0

; Any other Linux-ordered SYN with Linux's TTL and IP ID behaviour.
label = g:unix:Linux:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+,flow:0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,id+:0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws::0
sig   = *:64:0:*:*,*:mss,sok,ts:df,id+:0
sig   = *:64:0:*:*,*:mss,nop,nop,ts,nop,ws:df,id+:0
sig   = *:64:0:*:*,*:mss,nop,nop,sok:df,id+:0
; SACK and timestamps both off leave MSS, NOP, WS; taken only with Linux's
; MSS-multiple windows (dev: 8 SYNs at 20 x MSS from an NFS client).
sig   = *:64:0:*:mss*10,*:mss,nop,ws:df,id+:0
sig   = *:64:0:*:mss*20,*:mss,nop,ws:df,id+:0
sig   = *:64:0:*:mss*44,*:mss,nop,ws:df,id+:0

; ------------------------------------------------------------------------
; Apple: macOS and iOS/iPadOS
;
; XNU sends MSS, NOP, WS, NOP, NOP, TS, SACK-OK, EOL (+1 byte), window 65535,
; TTL 64. macOS and iOS share the kernel and the SYN; the window scale
; follows the era (the receive-buffer limit), and since about 2017 (macOS
; 10.13+, iOS 11+) the IP ID of DF packets is zero (quirk "df" without
; "id+"). Nothing in the SYN separates a Mac from an iPhone of the same
; year, so those eras are labelled "macOS or iOS".
; ------------------------------------------------------------------------

; Loopback traffic only happens on the machine itself; captures of it come
; from Macs (lo0 MTU 16384: MSS 16344, or 16324 over IPv6). dev: 12 IPv4 and
; 15 IPv6 SYNs (curl 7.16-8.1, wget 1.21 on 127.0.0.1 and ::1).
label = s:unix:macOS:(loopback)
sig   = *:64:0:16344:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = 4:64:0:16344:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0
sig   = 6:64:0:16324:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:flow:0

; Scale 1 and 3 with a running IP ID: Mac OS X 10.5-10.8. dev: 38 SYNs with
; scale 3 and 21 with scale 1 (17 of those from one host), in 14 captures;
; UAs Firefox 10 on Mac OS X 10.7, Wget darwin10.8; satori lists 10.5 with
; these two scales.
label = s:unix:macOS:10.5 to 10.8 (Mac OS X)
sig   = *:64:0:*:65535,1:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = *:64:0:*:65535,3:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
; Mac OS X 10.3/10.4 put no SACK-OK and no scale in the SYN (dev: 2 SYNs,
; UA Firefox 1.5 on PPC Mac OS X).
sig   = *:64:0:*:65535,0:mss,nop,ws,nop,nop,ts:df,id+:0

; Scale 2: iPhone OS / iOS of the same years (p0f 3.09b's data); not seen in
; dev.
label = s:unix:iOS:3 to 6
sig   = *:64:0:*:65535,2:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0

; Scale 4 and 5 with a running IP ID: macOS 10.8-10.12 and iOS 7-10.
; dev: scale 5 is 131 SYNs; 17 of its flows carry macOS agents (Chrome 47/56
; on 10.10/10.12, Firefox 54, Wget darwin14) and 26 iOS 10.2 agents (Netflix
; app, AppleCoreMedia, CFNetwork/Darwin 16.3) with the very same SYN. Scale 4
; is 43 SYNs; 5 flows with curl/Wget darwin12 (10.8) agents, and p0f's data
; notes iPhones and iPads with it.
label = s:unix:macOS or iOS:2013 to 2017 (macOS 10.8-10.12, iOS 7-10)
sig   = *:64:0:*:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+,flow:0
sig   = *:64:0:*:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+,flow:0
sig   = *:64:0:*:65535,4:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = *:64:0:*:65535,5:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0

; Zero IP ID under DF: macOS 10.13 and later, iOS 11 and later; scale 5-7.
; dev: 165 SYNs in 37 captures (agents Safari 17.5 on macOS, curl 7.61-8.7,
; Wget 1.21); an iPhone's SYN with scale 7 and the same quirks is published
; in OSfooler-ng issue #1; huginn-net lists scale 5-7 for "iOS/macOS".
label = s:unix:macOS or iOS:2017 or newer (macOS 10.13+, iOS 11+)
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,flow:0
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0

; After a few lost SYNs XNU retries with MSS and SACK-OK only. dev: 6 SYNs
; from a Mac (same host and capture as 7 Chrome-on-macOS flows).
label = s:unix:macOS or iOS:(SYN retry)
sig   = *:64:0:*:65535,0:mss,sok,eol+1:df,id+:0
sig   = *:64:0:*:65535,0:mss,sok,eol+1:df:0

; Any other XNU-ordered SYN. (An IPv6 SYN without a flow label never gets
; here: the 2017-or-newer lines take it, since IPv6 has no df or id+.)
label = g:unix:macOS or iOS:
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+,flow:0
sig   = 4:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1::0

; ------------------------------------------------------------------------
; The BSDs and Solaris
; ------------------------------------------------------------------------

; FreeBSD packs its options as MSS, NOP, WS, SACK-OK, TS; window 65535,
; scale 6 on 9.x and later (3 on 7.x-8.x, satori). dev: 3 SYNs (a host on
; jumbo frames with MSS 8960, an AccECN test capture).
label = s:unix:FreeBSD:9 or newer
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+,flow:0
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df,id+:0
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df,flow:0
sig   = *:64:0:*:65535,6:mss,nop,ws,sok,ts:df:0

label = s:unix:FreeBSD:7 or 8
sig   = *:64:0:*:65535,3:mss,nop,ws,sok,ts:df,id+:0

label = g:unix:FreeBSD:
sig   = *:64:0:*:65535,*:mss,nop,ws,sok,ts:df,id+:0
sig   = *:64:0:*:65535,*:mss,nop,ws,sok,ts:df:0

; OpenBSD: MSS, NOP, NOP, SACK-OK, NOP, WS, NOP, NOP, TS with a 16384 window
; (the layout is the example in OpenBSD's pf.os(5) manual).
label = s:unix:OpenBSD:
sig   = *:64:0:*:16384,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:0
sig   = *:64:0:*:16384,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df:0

; NetBSD writes SACK-OK padded with two NOPs and the timestamp in its NOP,
; NOP, TS form (tcp_output.c), so its SYN ends sok,nop,nop,nop,nop,ts.
; Default buffers are 32K. dev: 2 SYNs from a network switch's management
; stack in an OpenFlow test capture, TTL 64, zero IP ID.
label = s:unix:NetBSD:(or a NetBSD-based appliance)
sig   = *:64:0:*:*,*:mss,nop,ws,sok,nop,nop,nop,nop,ts:df,id+:0
sig   = *:64:0:*:*,*:mss,nop,ws,sok,nop,nop,nop,nop,ts:df:0

; Solaris and illumos put the timestamp first: NOP, NOP, TS, MSS, NOP, WS,
; NOP, NOP, SACK-OK; without timestamps the tail looks like Windows' but the
; TTL is 64 and the window is the 48K default rounded up to the MSS (34 x
; 1460). dev: 1 SYN+ACK of this kind (below); p0f's data has the 34 x MSS
; window for Solaris 10.
label = s:unix:Solaris:10 or newer (or illumos)
sig   = *:64:0:*:*,*:nop,nop,ts,mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:64:0:*:mss*34,*:mss,nop,ws,nop,nop,sok:df,id+:0

; ------------------------------------------------------------------------
; Network devices
; ------------------------------------------------------------------------

; Cisco IOS opens BGP, SSH and other management sessions with MSS only,
; window 4128 and TTL 255. dev: 2 SYNs (SSH banner and MPLS captures); satori
; lists 4128/255 for IOS 12.4.
label = s:net:Cisco IOS:
sig   = *:255:0:*:4128,0:mss::0
sig   = *:255:0:*:4128,0:mss:id-:0
sig   = *:255:0:*:4128,0:mss:df,id+:0

; ------------------------------------------------------------------------
; Scanners and packet crafters (userland)
; ------------------------------------------------------------------------

; Nmap's SYN scan: raw SYNs with only MSS 1460, a window of 1024, 2048, 3072
; or 4096 and a random TTL. dev: 1002 SYNs in one scan capture.
label = s:!:Nmap:SYN scan
sys   = @unix,@win
sig   = *:64-:0:1460:1024,0:mss::0
sig   = *:64-:0:1460:2048,0:mss::0
sig   = *:64-:0:1460:3072,0:mss::0
sig   = *:64-:0:1460:4096,0:mss::0

; Nmap's OS-detection probes (the option sets documented in "Nmap Network
; Scanning", chapter 8: probes 1-6, the ECN probe and T2-T7). dev: 11 SYNs
; in an active-fingerprinting capture. Older Nmap also left a non-zero ACK
; number in them (ack+).
label = s:!:Nmap:OS detection
sys   = @unix,@win
sig   = *:64-:0:1460:1,10:ws,nop,mss,ts,sok::0
sig   = *:64-:0:1400:63,0:mss,ws,sok,ts,eol+0::0
sig   = *:64-:0:640:4,5:ts,nop,nop,ws,nop,mss::0
sig   = *:64-:0:0:4,10:sok,ts,ws,eol+0::0
sig   = *:64-:0:536:16,10:mss,sok,ts,ws,eol+0::0
sig   = *:64-:0:265:512,0:mss,sok,ts::0
sig   = *:64-:0:1460:3,10:ws,nop,mss,sok,nop,nop:ecn,uptr+:0
sig   = *:64-:0:265:*,10:ws,nop,mss,ts,sok::0
sig   = *:64-:0:1460:1,10:ws,nop,mss,ts,sok:ack+:0
sig   = *:64-:0:1400:63,0:mss,ws,sok,ts,eol+0:ack+:0
sig   = *:64-:0:640:4,5:ts,nop,nop,ws,nop,mss:ack+:0
sig   = *:64-:0:0:4,10:sok,ts,ws,eol+0:ack+:0
sig   = *:64-:0:536:16,10:mss,sok,ts,ws,eol+0:ack+:0
sig   = *:64-:0:265:512,0:mss,sok,ts:ack+:0
sig   = *:64-:0:265:*,10:ws,nop,mss,ts,sok:ack+:0

; ZMap: TTL 255, IP ID 54321 without DF, window 65535, no options or MSS
; 1460 only (zmap src/probe_modules/packet.c).
label = s:!:ZMap:
sys   = @unix
sig   = *:255:0:0:65535,0:::0
sig   = *:255:0:1460:65535,0:mss::0

; masscan: TTL 255, no options, no DF, window 1200 (masscan
; src/templ-pkt.c, tcp_create_packet).
label = s:!:masscan:
sys   = @unix,@win
sig   = *:255:0:0:1200,0:::0

; Xprobe2's TCP probes: option-less SYNs with windows 5840 and 6840. dev: 151
; SYNs, all in the Xprobe2 captures.
label = s:!:Xprobe2:
sys   = @unix
sig   = *:64:0:0:5840,0:::0
sig   = *:64:0:0:6840,0::df,id+:0

; hping3's defaults: window 64, no options (hping3(8), -w).
label = s:!:hping3:
sys   = @unix
sig   = *:64:0:0:64,0:::0
sig   = *:64:0:0:64,0::id-:0

; Scapy's TCP() defaults: window 8192, no options, sequence number 0 unless
; set, TTL 64, no DF. dev: 101 SYNs in 57 hand-made protocol test captures
; (Zeek's test suite), with and without a sequence number set.
label = s:!:Scapy:
sys   = @unix,@win
sig   = *:64:0:0:8192,0::seq-:*
sig   = *:64:0:0:8192,0:::*

; Any other SYN with no TCP options at all. Every OS since the mid-1990s
; sends at least an MSS option, so a bare SYN comes from a raw-socket tool
; (flooders, scanners, test generators). dev: 142 SYNs in 15 captures: 100
; spoofed SYNs of a flood, 29 of a port scan, zgrab, test packets.
; The TTL is read as "at most 64" first, then "at most 255", so that the
; distance printed for the usual TTL-64 tools stays meaningful.
label = g:!:packet crafter:SYN without options
sys   = @unix,@win
sig   = *:64-:0:0:*,0:::*
sig   = *:64-:0:0:*,0::id-:*
sig   = *:64-:0:0:*,0::seq-:*
sig   = *:64-:0:0:*,0::id-,seq-:*
sig   = *:64-:0:0:*,0::df:*
sig   = *:64-:0:0:*,0::df,id+:*
sig   = *:64-:0:0:*,0::df,seq-:*
sig   = *:255-:0:0:*,0:::*
sig   = *:255-:0:0:*,0::id-:*
sig   = *:255-:0:0:*,0::seq-:*
sig   = *:255-:0:0:*,0::id-,seq-:*
sig   = *:255-:0:0:*,0::df:*
sig   = *:255-:0:0:*,0::df,id+:*
sig   = *:255-:0:0:*,0::df,seq-:*

; ========================================================================
; Server SYN+ACKs
;
; A SYN+ACK only echoes the options the client offered, so each stack
; appears with its full option set and with the cut-down sets it sends to
; clients that offered less (no timestamps, no scaling, MSS only).
; ========================================================================

[tcp:response]

; ------------------------------------------------------------------------
; Linux servers: MSS, SACK-OK, TS, NOP, WS, TTL 64, DF with IP ID 0.
; The window follows the same eras as the SYN; with timestamps it is counted
; in (MSS - 12)-byte segments, so 4.19+ shows 45 x MSS (65160 for 1460).
; ------------------------------------------------------------------------

; dev: 146 SYN+ACKs in 55 captures: 128 at 45 x MSS with timestamps (Apache
; 2.4.38, Python http.server, nginx), 14 at 44 x MSS without.
label = s:unix:Linux:4.19 or newer
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df,flow:0
sig   = *:64:0:*:mss*45,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:*:mss*44,*:mss,nop,nop,sok,nop,ws:df:0

; dev: 159 SYN+ACKs at 20 x MSS in 64 captures (Apache 2.4.7 on Ubuntu 14.04,
; Apache 2.4.27 on Fedora 26, Ethereum nodes).
label = s:unix:Linux:3.10 to 4.18
sig   = *:64:0:*:mss*20,*:mss,sok,ts,nop,ws:df,flow:0
sig   = *:64:0:*:mss*20,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:*:mss*20,*:mss,nop,nop,sok,nop,ws:df:0

; dev: 128 SYN+ACKs at 10 x MSS in 47 captures (Apache 2.2.15 on CentOS 6,
; FTP and MySQL servers).
label = s:unix:Linux:2.6.39 to 3.x
sig   = *:64:0:*:mss*10,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:*:mss*10,*:mss,nop,nop,sok,nop,ws:df:0

; dev: 190 SYN+ACKs in 55 captures: 94 at 4 x MSS, scale 6 (Apache 2.2.3 on
; CentOS 5), 27 without scaling or timestamps (Apache 2.2.9 on Fedora 9).
label = s:unix:Linux:2.4 to 2.6.38
sig   = *:64:0:*:mss*4,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:*:mss*4,*:mss,nop,nop,sok,nop,ws:df:0
sig   = *:64:0:*:mss*4,0:mss,nop,nop,sok:df:0
sig   = *:64:0:*:mss*4,*:mss,nop,nop,ts,nop,ws:df:0

; dev: 66 SYN+ACKs on 127.0.0.1 with MSS 65495 and window 65483 (4.19+), 56
; with window 43690 (earlier kernels).
label = s:unix:Linux:(loopback)
sig   = *:64:0:65495:*,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:65476:*,*:mss,sok,ts,nop,ws:flow:0
sig   = *:64:0:65476:*,*:mss,sok,ts,nop,ws::0
sig   = *:64:0:16396:*,*:mss,sok,ts,nop,ws:df:0

; Google's front ends answer with Linux's options but TTL 128 and no DF. dev:
; 32 SYN+ACKs in 7 captures from Google address space (172.217/16,
; 142.250/15, 216.58/16, 216.239/16, 2a00:1450::/32; Server: gws, sffe).
label = s:net:Google front end:
sig   = *:128:0:*:*,*:mss,sok,ts,nop,ws::0
sig   = *:128:0:*:*,*:mss,sok,ts,nop,ws:flow:0

; Amazon CloudFront edges: Linux options with TTL 255 and no DF. dev: 6
; SYN+ACKs from CloudFront address space (18.64/14, 52.84/15, 108.138/15).
label = s:net:Amazon CloudFront:
sig   = *:255:0:*:65535,*:mss,sok,ts,nop,ws::0

; Netflix Open Connect appliances run FreeBSD (see below for the stack); dev:
; 18 SYN+ACKs from 23.246/16, Server: nginx.

; Linux answers where the client offered little, or from other eras. Layouts
; that keep Linux's order are taken with any window, also without DF or with
; a zero IP ID and no DF (path MTU discovery off); answers with MSS alone, or
; MSS and WS (SACK and timestamps off: dev, 8 from an NFS server), only with
; the window forms Linux uses (dev: 5 on loopback, 4 at 20 x MSS, 3 at
; 1 x MSS), since many small stacks send MSS only.
label = g:unix:Linux:
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df,flow:0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:df:0
sig   = *:64:0:*:*,*:mss,nop,nop,sok,nop,ws:df:0
sig   = *:64:0:*:*,*:mss,nop,nop,ts,nop,ws:df:0
sig   = *:64:0:*:*,*:mss,sok,ts:df:0
sig   = *:64:0:*:*,*:mss,nop,nop,ts:df:0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:flow:0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws::0
sig   = *:64:0:*:*,*:mss,sok,ts,nop,ws:id-:0
sig   = *:64:0:*:*,*:mss,nop,nop,sok,nop,ws::0
sig   = *:64:0:*:mss*10,*:mss,nop,ws:df:0
sig   = *:64:0:*:mss*20,*:mss,nop,ws:df:0
sig   = *:64:0:*:mss*44,*:mss,nop,ws:df:0
sig   = *:64:0:*:43690,0:mss:df:0
sig   = *:64:0:*:mss*1,0:mss:df:0
sig   = *:64:0:*:mss*20,0:mss:df:0

; ------------------------------------------------------------------------
; Windows servers: TTL 128, DF with a running IP ID.
; ------------------------------------------------------------------------

; Windows 10/11 and Server 2016+: 64K window, scale 8. dev: 35 SYN+ACKs in 9
; captures: 20 from Microsoft 365/Teams front ends (13.107/16, 52.112/14),
; 13 from a Windows domain controller (Kerberos, SMB).
label = s:win:Windows:10 or 11 (or Server 2016+)
sig   = *:128:0:*:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:64240,8:mss,nop,ws,nop,nop,sok:df,id+:0

; Windows Vista-8.1 and Server 2008-2012 R2 answer with 8192 and scale 8, with
; timestamps as MSS, NOP, WS, SACK-OK, TS when the client offers them (satori:
; Server 2008 R2, 2012 R2, 2016). dev: 63 SYN+ACKs in 31 captures, 29 of them
; with timestamps (Teams relays in 52.114/16, RPC and IMAP servers).
label = s:win:Windows:Vista to 8.1 (or Server 2008-2016)
sig   = *:128:0:*:8192,*:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:8192,*:mss,nop,ws,sok,ts:df,id+:0
sig   = *:128:0:*:8192,0:mss,nop,nop,sok:df,id+:0

; Windows 2000/XP/2003 servers: 64K, 16K, 64512 or multiples of the MSS, no
; scaling (dev: 45 SYN+ACKs in 20 captures; Apache/1.3 on Win32, IIS 5-6).
label = s:win:Windows:2000, XP or Server 2003
sig   = *:128:0:*:65535,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:16384,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:64512,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*44,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*12,0:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+,ts1-:0

; Windows answers to clients that offered less. Bare answers (MSS alone, or
; MSS and WS) are left out: many small stacks send them, and p0f's fuzzy TTL
; rule would let them match here. The one exception is the 6 x MSS window of
; Windows 2000/2003 (dev: 6 SYN+ACKs from an RPC server).
label = g:win:Windows:
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,ws,sok,ts:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,nop,sok:df,id+:0
sig   = *:128:0:*:*,*:mss,nop,ws,nop,nop,ts,nop,nop,sok:df,id+:0
sig   = *:128:0:*:mss*6,0:mss:df,id+:0

; ------------------------------------------------------------------------
; Apple, BSD, Solaris servers
; ------------------------------------------------------------------------

; dev: 20 SYN+ACKs on Mac loopback (Python http.server, Redis), IPv4 and IPv6.
label = s:unix:macOS:(loopback)
sig   = *:64:0:16344:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = 4:64:0:16344:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0
sig   = 6:64:0:16324:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:flow:0

; dev: 5 SYN+ACKs (3 from a Mac's screen sharing server).
label = s:unix:macOS or iOS:
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+,flow:0
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df,flow:0
sig   = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0

; FreeBSD: dev: 19 SYN+ACKs, 18 of them from Netflix Open Connect caches
; (23.246/16, which run FreeBSD), scale 9, zero IP ID.
label = s:unix:FreeBSD:
sig   = *:64:0:*:65535,*:mss,nop,ws,sok,ts:df,id+:0
sig   = *:64:0:*:65535,*:mss,nop,ws,sok,ts:df:0

label = s:unix:OpenBSD:
sig   = *:64:0:*:16384,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df,id+:0
sig   = *:64:0:*:16384,*:mss,nop,nop,sok,nop,ws,nop,nop,ts:df:0

label = s:unix:NetBSD:(or a NetBSD-based appliance)
sig   = *:64:0:*:*,*:mss,nop,ws,sok,nop,nop,nop,nop,ts:df,id+:0
sig   = *:64:0:*:*,*:mss,nop,ws,sok,nop,nop,nop,nop,ts:df:0

; dev: 1 SYN+ACK from a web server with the Solaris layout and a 34 x MSS
; window (Zeek test capture).
label = s:unix:Solaris:10 or newer (or illumos)
sig   = *:64:0:*:*,*:nop,nop,ts,mss,nop,ws,nop,nop,sok::0
sig   = *:64:0:*:*,*:nop,nop,ts,mss,nop,ws,nop,nop,sok:df,id+:0

; ------------------------------------------------------------------------
; Load balancers and network devices
; ------------------------------------------------------------------------

; F5 BIG-IP's default TCP profile answers with TTL 255 and a small window of
; about 3 x MSS, options MSS, SACK-OK, EOL, EOL or MSS, NOP, NOP, TS,
; SACK-OK, EOL, EOL (satori's BIG-IP entries). dev: 20 SYN+ACKs in 6
; captures: 11 from sites of one media company (68.71/16, 199.181/16), 9
; with MSS only seen through a Korean mobile network (a carrier proxy).
label = s:net:F5 BIG-IP:
sig   = *:255:0:*:mss*3,0:mss,nop,nop,ts,sok,eol+1:df,id+:0
sig   = *:255:0:*:mss*3,0:mss,nop,ws,nop,nop,ts:df,id+:0
sig   = *:255:0:*:mss*3,0:mss,sok,eol+1:df,id+:0
sig   = *:255:0:*:mss*3,0:mss:df,id+:0

; A TTL of 255 with an 8190-byte window: the default of Citrix NetScaler
; (ADC) TCP profiles; the attribution is not confirmed. dev: 10 SYN+ACKs in 7
; captures (including Apple's 17/8 sites).
label = s:net:Citrix NetScaler:(probable)
sig   = *:255:0:*:8190,*:mss,nop,ws,nop,nop,sok::0
sig   = *:255:0:*:8190,*:mss,nop,ws,nop,nop,sok:df,id+:0
sig   = *:255:0:*:8190,0:mss::0
sig   = *:255:0:*:8190,0:mss:df,id+:0

; Cisco IOS (window 4128, TTL 255, MSS only), as in the SYN section.
label = s:net:Cisco IOS:
sig   = *:255:0:*:4128,0:mss::0
sig   = *:255:0:*:4128,0:mss:df,id+:0

; ========================================================================
; HTTP clients
; ========================================================================

[http:request]

; User-Agent substrings that name an OS, most specific first: Android and
; iOS agents also contain "Linux" and "Mac OS X". ChromeOS agents ("X11;
; CrOS") count as Linux: ChromeOS runs Linux with the kernel's defaults, no
; SYN tells it from desktop Linux, so the OS pof can compare them with is
; Linux (a ChromeOS name here would flag every Chromebook).
ua_os = Android,iOS=[iPhone],iOS=[iPad],iOS=[iPod],Linux=[CrOS],Windows,macOS=[Macintosh],macOS=[Mac OS X],Linux,FreeBSD,OpenBSD,NetBSD,Solaris=[SunOS]

; Chromium browsers (Chrome, Edge, Brave, Opera, Vivaldi) over HTTP/1.1 since
; about version 90: client hints (sec-ch-ua*, sent in lower case) first, then
; Upgrade-Insecure-Requests, User-Agent, Accept; the Sec-Fetch-* group and
; Accept-Encoding / Accept-Language follow in an order that differs between
; brands, so the signature stops at Accept. dev: Brave 142 on Linux.
label = s:!:Chrome:90 or newer (Chromium-based)
sys   = Windows,macOS,Linux,Android,ChromeOS
sig   = 1:Host,Connection=[keep-alive],?Cache-Control,sec-ch-ua,sec-ch-ua-mobile,sec-ch-ua-platform,?Upgrade-Insecure-Requests,User-Agent,Accept:Accept-Charset,Keep-Alive:Chrome/

; Chrome 50-89 and Chromium-based apps: the same order without client hints
; (dev: 19 requests of Chrome 47/56 on macOS, Chrome 48 on Windows 10, Chrome
; 79 on Android, Slack's Electron).
label = s:!:Chrome:50 to 89
sys   = Windows,macOS,Linux,Android,ChromeOS
sig   = 1:Host,Connection=[keep-alive],?Upgrade-Insecure-Requests,User-Agent,Accept,?Referer,Accept-Encoding,Accept-Language:Accept-Charset,Keep-Alive,sec-ch-ua:Chrome/
sig   = 1:Host,Connection=[keep-alive],User-Agent,?Referer,Accept-Encoding=[gzip, deflate],Accept-Language:Accept-Charset,Keep-Alive,sec-ch-ua:Chrome/

; Early Chrome put Accept before User-Agent and still sent Accept-Charset
; (dev: Chrome 8 on Windows Server 2003).
label = s:!:Chrome:up to 49
sys   = Windows,macOS,Linux
sig   = 1:Host,Connection=[keep-alive],?Referer,Accept,User-Agent,Accept-Encoding,Accept-Language,Accept-Charset:Keep-Alive:Chrome/

; Firefox 29 and later: User-Agent second, Accept, Accept-Language,
; Accept-Encoding, then (DNT, Sec-GPC,) Connection; no Accept-Charset (dev:
; Firefox 54 on macOS, 128 on Linux).
label = s:!:Firefox:29 or newer
sys   = Windows,macOS,Linux,Android,FreeBSD,OpenBSD
sig   = 1:Host,User-Agent,Accept,Accept-Language,Accept-Encoding,Connection=[keep-alive]:Accept-Charset,Keep-Alive:Firefox/

; Firefox 4-28 still sent Accept-Charset (dev: Firefox 7 on Windows 7).
label = s:!:Firefox:4 to 28
sys   = Windows,macOS,Linux,Android,FreeBSD,OpenBSD
sig   = 1:Host,User-Agent,Accept,Accept-Language,Accept-Encoding,Accept-Charset,Connection=[keep-alive]:Keep-Alive:Firefox/

; Firefox 1.5-3.6 also sent Keep-Alive (300, later 115). dev: 145 requests of
; Firefox 1.5-3.6 on Ubuntu, Windows and Mac OS X.
label = s:!:Firefox:1.5 to 3.6
sys   = Windows,macOS,Linux,FreeBSD,OpenBSD
sig   = 1:Host,User-Agent,Accept,Accept-Language,Accept-Encoding,Accept-Charset,Keep-Alive,Connection=[keep-alive]::Firefox/

; Safari and WebKit browsers on Apple systems: Accept (and Upgrade-Insecure-
; Requests) before User-Agent, Connection last (dev: Safari 17.5 on macOS,
; AppleCoreMedia on iOS 10).
label = s:!:Safari:
sys   = macOS,iOS
sig   = 1:Host,?Upgrade-Insecure-Requests,Accept,User-Agent,Accept-Language,?Referer,Accept-Encoding,Connection=[keep-alive]:Accept-Charset,Keep-Alive:AppleWebKit

; Apps using Apple's CFNetwork / NSURLSession: Host, Accept, Accept-Language,
; Connection, Accept-Encoding, User-Agent last (dev: 20 requests of the
; Netflix iOS app and CFNetwork/Darwin agents).
label = s:!:CFNetwork:(iOS or macOS app)
sys   = iOS,macOS
sig   = 1:Host,Accept,?Accept-Language,?Connection,Accept-Encoding,User-Agent:Accept-Charset,Keep-Alive:

; Background Intelligent Transfer Service (dev: 7 requests of BITS 7.0); it is
; part of Windows, hence the OS class. It comes before Internet
; Explorer, whose order it shares.
label = s:win:Windows:BITS
sig   = *:Accept=[*/*],Accept-Encoding=[identity],?Range,User-Agent,Host,Connection=[Keep-Alive]:Accept-Language,Accept-Charset:Microsoft BITS/

; Internet Explorer 6-8: Accept, Accept-Language, (UA-CPU,) Accept-Encoding,
; User-Agent, Host, Connection: Keep-Alive (dev: 29 requests of MSIE 6-8 on
; Windows 2000, XP and 7).
label = s:!:Internet Explorer:6 to 8
sys   = Windows
sig   = *:Accept,?Referer,?Accept-Language,Accept-Encoding,User-Agent,Host,Connection=[Keep-Alive]:Keep-Alive,Accept-Charset:MSIE

; Internet Explorer 9-11, and some IE 8 requests, put User-Agent ahead of
; Accept-Encoding (dev: 8 requests, MSIE 8 and Trident/7).
label = s:!:Internet Explorer:8 to 11
sys   = Windows
sig   = *:Accept,?Referer,Accept-Language,User-Agent,Accept-Encoding,Host,?DNT,Connection=[Keep-Alive]:Keep-Alive,Accept-Charset:Windows NT

; Windows' own HTTP stacks (WinINet/WinHTTP: CryptoAPI, Delivery
; Optimization, IE 11's background requests): Connection first, User-Agent,
; Host last. dev: 3 requests.
label = s:!:WinINet or WinHTTP:
sys   = Windows
sig   = *:?Cache-Control,Connection=[Keep-Alive],?Pragma,Accept,?If-Modified-Since,?If-None-Match,User-Agent,Host:Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:

; Android's HttpURLConnection (OkHttp inside; Dalvik user agent): User-Agent,
; Host, Connection, Accept-Encoding: gzip; older releases put Connection
; before Host (dev: 6 + 3 requests from Android 4.4-11 phones and apps).
label = s:!:Android HTTP client:(HttpURLConnection/OkHttp)
sys   = Android
sig   = 1:User-Agent,Host,Connection,Accept-Encoding=[gzip]:Accept,Accept-Language,Accept-Charset,Keep-Alive:
sig   = 1:User-Agent,Connection,Host,Accept-Encoding=[gzip]:Accept,Accept-Language,Accept-Charset,Keep-Alive:

; OkHttp 3+ used directly by apps.
label = s:!:OkHttp:
sys   = Android,@unix,@win
sig   = 1:Host,Connection=[Keep-Alive],Accept-Encoding=[gzip],User-Agent:Accept,Accept-Language,Accept-Charset,Keep-Alive:okhttp/

; Java's built-in HttpURLConnection (dev: Java 1.6 on Windows XP).
label = s:!:Java:HttpURLConnection
sys   = @unix,@win
sig   = *:User-Agent,Host,Accept=[text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2],Connection=[keep-alive]:Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:Java/

; curl: Host, User-Agent, Accept: */* and nothing else by default (dev: 28
; requests of curl 7.9-8.7; some releases put User-Agent first).
label = s:!:curl:
sys   = @unix,@win
sig   = *:Host,User-Agent,Accept=[*/*]:Connection,Accept-Encoding,Accept-Charset,Keep-Alive:curl/
sig   = *:User-Agent,Host,Accept=[*/*]:Connection,Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:curl/

; GNU Wget 1.x (dev: Wget 1.10-1.21).
label = s:!:Wget:
sys   = @unix,@win
sig   = *:User-Agent,Accept=[*/*],?Accept-Encoding,Host,Connection=[Keep-Alive]:Accept-Language,Accept-Charset,Keep-Alive:Wget/

; Python: urllib (dev: Python-urllib/3.12) and requests (Accept-Encoding,
; Accept, Connection after User-Agent, as requests' default headers).
label = s:!:Python urllib:
sys   = @unix,@win
sig   = *:Accept-Encoding=[identity],Host,User-Agent,Connection=[close]:Accept,Accept-Language,Accept-Charset,Keep-Alive:Python-urllib/

label = s:!:Python requests:
sys   = @unix,@win
sig   = *:Host,User-Agent,Accept-Encoding,Accept=[*/*],Connection=[keep-alive]:Accept-Language,Accept-Charset,Keep-Alive:python-requests/

; Go's net/http client: Host, User-Agent, (Content-Length,) Accept-Encoding:
; gzip, in canonical case.
label = s:!:Go http client:
sys   = @unix,@win
sig   = 1:Host,User-Agent,Accept-Encoding=[gzip]:Connection,Accept,Accept-Language,Accept-Charset,Keep-Alive:Go-http-client/

; ========================================================================
; HTTP servers
; ========================================================================

[http:response]

; Amazon S3 (and caches in front of it): the x-amz-* headers come first
; (dev: 7 responses).
label = s:!:Amazon S3:
sys   = @unix
sig   = *:x-amz-id-2,x-amz-request-id:Keep-Alive:AmazonS3

; OpenResty is nginx with Lua and keeps its header order; it is told apart
; only by the Server value, so it comes before nginx.
label = s:!:OpenResty:
sys   = @unix
sig   = *:Server=[openresty],Date,Content-Type,Connection:Keep-Alive:openresty

; nginx: Server first, then Date, Content-Type, Content-Length or
; Transfer-Encoding, Connection (dev: 33 responses of nginx 1.4-1.23).
label = s:!:nginx:
sys   = @unix,@win
sig   = *:Server,Date,Content-Type,?Content-Length,?Last-Modified,Connection,?ETag:Keep-Alive:nginx

; Apache httpd 1.3-2.4: Date then Server, the validators, then Keep-Alive,
; Connection and Content-Type last (dev: 87 responses of Apache 1.3-2.4 on
; CentOS, Fedora, Ubuntu, Raspbian and Win32).
label = s:!:Apache:1.3 to 2.4
sys   = @unix,@win
sig   = *:Date,Server,?Last-Modified,?ETag,Accept-Ranges=[bytes],?Content-Length,?Keep-Alive,Connection,Content-Type::Apache
sig   = *:Date,Server,?Vary,?Content-Length,?Keep-Alive,Connection,Content-Type::Apache

; Caddy 2: Server comes late, after Content-Type and the validators; header
; names in canonical case.
label = s:!:Caddy:2.x
sys   = @unix,@win
sig   = *:Accept-Ranges,Content-Type,?Etag,?Last-Modified,Server=[Caddy],Date:Keep-Alive:Caddy

; Microsoft IIS 6-10: Content-Type first, validators, Server, X-Powered-By,
; Date, Content-Length last (dev: 18 responses, IIS 6.0 and 7.5). Other front
; ends use this order too (dev: Google and Yahoo servers), so the Server
; value is part of the signature.
label = s:!:IIS:6 to 10
sys   = Windows
sig   = *:Content-Type,?Last-Modified,?Accept-Ranges,?ETag,Server=[Microsoft-IIS],?X-Powered-By,Date:Keep-Alive:Microsoft-IIS/

; IIS 5 and 6 (dev: 5 responses): IIS 5 starts with Server, Date,
; X-Powered-By; IIS 6 puts the validators first.
label = s:!:IIS:5 or 6
sys   = Windows
sig   = *:Server,Date,X-Powered-By=[ASP.NET]:Keep-Alive:Microsoft-IIS/
sig   = *:?Last-Modified,Accept-Ranges,?ETag,Server,X-Powered-By=[ASP.NET],Date:Keep-Alive:Microsoft-IIS/

; LiteSpeed (and OpenLiteSpeed): Connection first, Server last.
label = s:!:LiteSpeed:
sys   = @unix
sig   = *:Connection,?Content-Type,?Last-Modified,?ETag,?Content-Length,?Accept-Ranges,Date,Server=[LiteSpeed]:Keep-Alive:LiteSpeed

; Cloudflare's edge: Date first, Server: cloudflare and CF-RAY near the end.
label = s:!:Cloudflare:
sys   = @unix
sig   = *:Date,Content-Type,?Content-Length,Connection,Server=[cloudflare],CF-RAY::cloudflare

; Google Web Server and Google front ends (dev: 9 responses of gws).
label = s:!:Google Web Server:
sys   = @unix
sig   = *:Date,?Expires,?Cache-Control,Content-Type,Server=[gws]:Keep-Alive:gws

; Python's http.server (SimpleHTTP): Server, Date, then the rest, HTTP/1.0
; (dev: 7 responses).
label = s:!:Python http.server:
sys   = @unix,@win
sig   = 0:Server=[SimpleHTTP],Date:Keep-Alive,Accept-Ranges:SimpleHTTP
