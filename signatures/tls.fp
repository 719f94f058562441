;
; pof TLS client database
; =======================
;
; Which TLS stack sent a ClientHello, from its JA4 (docs/tls.md has the
; syntax and how it is matched). Written for pof from the evidence each line
; names; an entry is added only when a capture or a published fact ties the
; hello to one stack. A hello no line covers is 'unknown'.
;
;   tls = KEY | FAMILY | NAME | EVIDENCE
;
;   KEY       JA4 as a_b_c. a is '*' (any) or JA4's first part with '?' for
;             any character; b is the cipher hash, c the extension and
;             signature algorithm hash. c is computed over the extensions
;             sorted, so Chrome's random extension order gives one c; it
;             changes when a client adds or drops an extension (padding,
;             a resumed session's pre_shared_key, ECH), hence several lines
;             per browser release range.
;   FAMILY    chromium firefox apple schannel android openssl gnutls python
;             go java node tor (src/db/tls-types.ts says what each covers).
;   NAME      what users see.
;   EVIDENCE  what the line rests on. "dev" is ../shared/corpus/dev, "tls"
;             ../shared/corpus/tls (public test captures; names shortened to
;             their last part); "host UA" is a User-Agent the same client
;             address sent in cleartext in the same capture; "live" is a
;             hello captured on loopback from a client installed on Debian 12
;             (scripts/tls-evidence.ts --live, and test/tls-db/live.test.ts).
;
; Facts used throughout (published by the projects named):
;   * Chromium's BoringSSL settings: 15 cipher suites (TLS 1.3's three, then
;     ECDHE-ECDSA/RSA AES-GCM and ChaCha20, ECDHE-RSA AES-CBC, RSA AES-GCM
;     and AES-CBC), compress_certificate (0x001b, brotli), ALPS (0x4469,
;     then 0x44cd from Chrome 131), ECH GREASE (0xfe0d, from Chrome 117),
;     GREASE values, 8 signature algorithms without SHA-1. Chrome, Edge,
;     Opera, Brave, Vivaldi, Samsung Internet, Electron apps and Cronet all
;     send it: pof cannot tell them apart and does not try.
;   * Firefox's NSS settings: 17 suites (Chromium's 15 plus ECDHE-ECDSA
;     AES-CBC-SHA), record_size_limit (0x001c) and delegated_credentials
;     (0x0022), which Chromium does not send, ffdhe2048/3072 (0x0100,
;     0x0101) in supported_groups, and ECDSA-SHA1 (0x0203) among the
;     signature algorithms.
;   * Android's Conscrypt (BoringSSL inside) offers the same 17 suites as
;     Firefox but none of NSS's extensions, and signature algorithms in
;     BoringSSL's default order with RSA-PKCS1-SHA1 last: part b alone
;     cannot tell Firefox from Android, part c can.
;   * OpenSSL 1.1.1 and 3.x default cipher list: 31 suites (TLS 1.3's three,
;     then ECDHE and DHE with AES-GCM, ChaCha20, AES-CBC-SHA256/384 and SHA,
;     RSA AES, the renegotiation SCSV 0x00ff).
;   * Windows 10 SChannel's TLS 1.2 defaults: 19 suites ending in
;     RSA 3DES (0x000a), and its signature algorithm order (RSA-SHA256,
;     RSA-SHA384, RSA-SHA1, ECDSA-SHA256 ...).
;   * Apple's SecureTransport (Safari until macOS 10.14 / iOS 12, CFNetwork
;     apps): 20 suites with ECDHE first and no DHE, NPN (0x3374).
;   * Go's crypto/tls defaults (Go 1.13 to 1.21): 19 suites including
;     ECDHE-RSA 3DES (0xc012), and signature algorithms starting RSA-PSS-
;     SHA256, ECDSA-P256, Ed25519 (0x0807).

; ------------------------------------------------------------------------
; Chromium-based browsers (BoringSSL as Chromium configures it)
; ------------------------------------------------------------------------

tls = *_8daaf6152771_e5627efa2ab1 | chromium | Chromium-based 91 to 116 (Chrome, Edge, Opera, Brave, Electron) | ALPS 0x4469, padding, no ECH. dev/tls: 84 hellos in 8 captures; tls-handshake.pcapng 60 (SNI content-autofill.googleapis.com, Chrome's autofill service, is on the same client), browsers-x509 (SNI edge.microsoft.com, Edge's own service), latest.pcapng (host UA Electron on Windows)
tls = *_8daaf6152771_f37e75b10bcc | chromium | Chromium-based 91 to 116 (no padding) | as the line above without padding (0x0015), which BoringSSL adds only for hellos of certain lengths. tls-handshake.pcapng: 5 hellos from the same client (SNI mem.gfx.ms, logincdn.msauth.net)
tls = *_8daaf6152771_6cdcb247c39b | chromium | Chromium-based 91 to 116 (resumed session) | as the first Chromium line with pre_shared_key (0x0029). tls-handshake.pcapng: 1 hello from the same client (SNI edge-chat.facebook.com)
tls = *_8daaf6152771_9b887d9acb53 | chromium | Chromium-based 91 to 116 (resumed session, no padding) | pre_shared_key, ALPS 0x4469. dev latest.pcapng: 1 hello (SNI app.slack.com; host UA Electron on Windows: Slack's desktop app)
tls = *_8daaf6152771_de4a06bb82e3 | chromium | Chromium-based before 84 (TLS 1.0 and 1.1 offered, no ALPS) | Chromium's 15 suites and extensions without ALPS, supported_versions down to TLS 1.0. tls-handshake.pcapng (SNI mtalk.google.com, Chrome's push channel), dev sites.pcapng, tls_multiple_synack_different_seq: 3 hellos
tls = *_8daaf6152771_02713d6af862 | chromium | Chromium-based 117 to 130 | ALPS 0x4469 with ECH GREASE 0xfe0d. dev chrome-1250-tls-x25519-kyber.pcap (zeek's trace of Chrome 125.0, named so), sites.pcapng: 2 hellos
tls = *_8daaf6152771_b1ff8ab2d16f | chromium | Chromium-based 117 to 130 (padding) | as the line above with padding. dev tls13-ech.pcap (zeek's ECH trace, SNI cloudflare-ech.com): 2 hellos
tls = *_8daaf6152771_b0da82dd1658 | chromium | Chromium-based 124 to 130 (resumed session) | pre_shared_key, ECH GREASE, X25519Kyber768 (0x6399) offered. dev sites.pcapng: 1 hello (SNI it-mil-v086.prod.surfshark.com)
tls = *_8daaf6152771_cb7bf5808d99 | chromium | Chromium-based 131 or newer | ALPS 0x44cd, ECH GREASE, ML-DSA signature algorithms (0x0904-0x0906). live: Debian 12's chromium 156.0.8078.114 (headless)
tls = *_46e7e9700bed_45f260be83e2 | chromium | Chromium-based before 84, Android (3DES still offered) | Chromium's suites plus RSA 3DES (0x000a), compress_certificate, no ALPS. dev android.pcap: 6 hellos (SNI proxy.googlezip.net and datasaver.googleapis.com, Chrome's Data Saver; host UA Chrome 79 on Android 9), tls_long_cert, sites.pcapng
tls = *_46e7e9700bed_13c35ee53a8e | chromium | Chromium-based before 84, Android (resumed session) | as the line above with pre_shared_key. dev android.pcap: 1 hello (SNI datasaver.googleapis.com)
tls = *_46e7e9700bed_8cbc9340e09a | chromium | Chrome 63 (TLS 1.3 draft experiment) | dev chrome-63.0.3211.0-canary-tls_experiment.pcap (zeek's trace, named for the Chrome build), signed_certificate_timestamp-2.pcap: 2 hellos
tls = *_46e7e9700bed_420f9a5d0665 | chromium | Chrome 67 (TLS 1.3 draft 23) | dev tls13draft23-chrome67.0.3368.0-canary.pcap (zeek's trace, named for the Chrome build): 1 hello
tls = *_67e6df579eba_1c40c51c0bfd | chromium | Chrome 55 (TLS 1.3 draft 16) | dev tls13draft16-chrome55.0.2879.0-canary.pcap (zeek's trace, named for the Chrome build): 2 hellos
tls = *_55b375c5d22e_cd85d2d88918 | chromium | Chromium-based, HTTP/3 (QUIC) | TLS 1.3 suites only, QUIC transport parameters (0x0039), compress_certificate and ALPS 0x4469. tls-handshake.pcapng: 20 QUIC hellos from the client that sends the first Chromium line (SNI content-autofill.googleapis.com among them), quic-tls-handshake and quic-with-several-tls-frames (www.google.com), dev sites.pcapng

; ------------------------------------------------------------------------
; Firefox (NSS)
; ------------------------------------------------------------------------

tls = *_5b57614c22b0_3d5424432f57 | firefox | Firefox 78 or newer, no ECH (before 118) | Firefox's 17 suites, record_size_limit, delegated_credentials, ffdhe groups, padding. tls12.pcap (SNI contile.services.mozilla.com, Firefox's sponsored-tiles service), dev sites.pcapng: 30 hellos
tls = *_5b57614c22b0_5c2c66f702b0 | firefox | Firefox 118 or newer | as the line above with ECH GREASE (0xfe0d), no padding. dev sites.pcapng: 11 hellos from the client that sends the line above
tls = *_5b57614c22b0_7121afd63204 | firefox | Firefox 118 or newer (resumed session) | as the line above with pre_shared_key. dev sites.pcapng: 1 hello (SNI s1.nordcdn.com)
tls = *_e8a523a41297_84e5d5db657c | firefox | Firefox 78 or newer, 3DES offered (resumed session) | Firefox's suites with RSA 3DES, record_size_limit, pre_shared_key. dev firefox.pcap (nDPI's Firefox trace, named so): 5 hellos
tls = *_e8a523a41297_d267a5f792d4 | firefox | Firefox 78 or newer, 3DES offered | as the line above without pre_shared_key, with padding. dev firefox.pcap: 1 hello
tls = *_e8a523a41297_3d5424432f57 | firefox | Firefox 78 or newer, 3DES offered (padding) | the extensions of the first Firefox line with RSA 3DES among the suites. dev sites.pcapng: 1 hello (SNI upload.wikimedia.org)
tls = *_29a2cd9e9f10_d267a5f792d4 | firefox | Firefox before 78 (DHE still offered) | Firefox's extensions with DHE-RSA AES (0x0033, 0x0039) and 3DES among the suites. dev malware.pcap: 1 hello (host UA Firefox on Windows)
tls = *_29a2cd9e9f10_410211a62323 | firefox | Firefox 52 (TLS 1.3 draft 16) | dev tls13draft16-ff52.a01.pcap (zeek's trace, named for the Firefox build): 2 hellos
tls = *_55b375c5d22e_2d2a40a25571 | firefox | Firefox, HTTP/3 (QUIC) | TLS 1.3 suites, QUIC transport parameters, NSS's record_size_limit and delegated_credentials, ffdhe groups. dev sites.pcapng: 1 QUIC hello (SNI plus.google.com)
tls = *_55b375c5d22e_61e396c58b1f | firefox | Firefox 118 or newer, HTTP/3 (QUIC) | as the line above with ECH GREASE. dev sites.pcapng: 1 QUIC hello (SNI www.threads.net)
tls = *_55b375c5d22e_9974e4f6be5b | firefox | Firefox, HTTP/3 (QUIC, resumed session) | as the first Firefox HTTP/3 line with pre_shared_key and early_data. dev sites.pcapng: 1 QUIC hello (SNI hangouts.google.com)

; ------------------------------------------------------------------------
; Apple (SecureTransport, Network.framework)
; ------------------------------------------------------------------------

tls = *_2a284e3b0c56_f05fdf8c38a9 | apple | Apple (Safari 10 to 12, CFNetwork apps) | SecureTransport's 20 suites, NPN, SCT request. dev safari.pcap and 443-safari.pcap (nDPI's Safari traces, named so), teams.pcap (SNI login.microsoftonline.com, gate.hockeyapp.net): 8 hellos
tls = *_2a284e3b0c56_6e2cce1a33e5 | apple | Apple (Safari 10 to 12) | as the line above without NPN. dev safari.pcap: 5 hellos
tls = *_2a284e3b0c56_8c799273bd37 | apple | Apple (CFNetwork apps, padding) | as the first Apple line with padding. dev pppoe-over-qinq.pcap: 1 hello (SNI xp.apple.com, an Apple service)
tls = *_2a284e3b0c56_8d24740b1268 | apple | Apple (CFNetwork apps, session ticket) | as the first Apple line with session_ticket. dev whatsappfiles.pcap: 1 hello (SNI mmg-fna.whatsapp.net)
tls = *_2a284e3b0c56_bea5132cbaaf | apple | Apple (CFNetwork apps, session ticket, padding) | as the line above with padding. dev whatsappfiles.pcap: 1 hello
tls = *_b5dc49c6fcca_3304d8368043 | apple | Apple iOS 9 to 10 (CFNetwork apps) | SecureTransport's suites before ChaCha20, with the SCSV. dev netflix.pcap: 6 hellos (host UAs Argo on iOS 10.2, CFNetwork/Darwin 16, AppleCoreMedia on iPhone OS 10.2)
tls = *_b5dc49c6fcca_2cdefc264be7 | apple | Apple iOS 9 to 10 (CFNetwork apps, SPDY offered) | as the line above with NPN and ALPN spdy/3.1. dev netflix.pcap: 7 hellos (same host)
tls = *_b5dc49c6fcca_f44caba5725b | apple | Apple iOS 9 to 10 (CFNetwork apps, padding) | as the line above with padding. dev netflix.pcap: 1 hello (same host)

; ------------------------------------------------------------------------
; Windows SChannel
; ------------------------------------------------------------------------

tls = *_d83cc789557e_652f19f1cfc7 | schannel | Windows SChannel (Windows 10, TLS 1.2) | SChannel's 19 suites and signature algorithm order. dev 4in6tunnel.pcap: 1 hello (SNI www.bing.com)
tls = *_d83cc789557e_16bbda4055b2 | schannel | Windows SChannel (Windows 10, TLS 1.2, status_request) | as the line above with status_request and extended master secret. dev whois.pcapng: 1 hello
tls = *_d83cc789557e_7af1ed941c26 | schannel | Windows SChannel (Windows 10 1903 or later, TLS 1.2) | as the line above with RSA-PSS signature algorithms first. dev latest.pcapng: 1 hello (host UA Electron on Windows)

; ------------------------------------------------------------------------
; Android platform TLS (Conscrypt)
; ------------------------------------------------------------------------

tls = *_5b57614c22b0_3f5d972527c0 | android | Android platform TLS (Conscrypt), TLS 1.3 | Conscrypt's 17 suites, BoringSSL's signature algorithms, none of NSS's extensions. dev android.pcap: 4 hellos (SNI android.clients.google.com, Google Play; host UA Android 9)
tls = *_5b57614c22b0_931b75671d98 | android | Android platform TLS (Conscrypt), TLS 1.3, Channel ID | as the line above with Channel ID (0x7550), which Google Play services asks for. dev android.pcap: 1 hello (SNI android.googleapis.com)
tls = *_5b57614c22b0_eca864cca44a | android | Android platform TLS (Conscrypt), TLS 1.3, session ticket | as the first Conscrypt line with session_ticket. dev tls_1.2_unidirectional_client_no_cert.pcapng, sites.pcapng (SNI api.accuweather.com): 2 hellos
tls = *_5b57614c22b0_352634941f3a | android | Android platform TLS (Conscrypt), TLS 1.3, resumed session | as the line above with pre_shared_key. dev tls_1.3_unidirectional_client.pcapng: 1 hello (SNI www.google.com)
tls = *_c866b44c5a26_b39be8c56a14 | android | Android platform TLS (Conscrypt), TLS 1.2 | Conscrypt's suites without TLS 1.3. dev android.pcap: 5 hellos (SNI connectivitycheck.gstatic.com, Android's own connectivity check; play.googleapis.com; host UA Android 9)
tls = *_c866b44c5a26_036209cd1ead | android | Android platform TLS (Conscrypt), TLS 1.2, no session ticket | as the line above without session_ticket. dev android.pcap: 1 hello (SNI clients1.google.com)

; ------------------------------------------------------------------------
; OpenSSL and GnuTLS based tools and libraries
; ------------------------------------------------------------------------

tls = *_e8f1e7e78f70_b26ce05bbdd6 | openssl | curl 7.x or 8.x (OpenSSL 1.1.1 or 3.x) | OpenSSL's 31 default suites, post_handshake_auth (0x0031), no session ticket. live: curl 7.88.1 with OpenSSL 3.0 (Debian 12); dev https-to-http.pcap: 1 hello
tls = *_e8f1e7e78f70_ce5650b735ce | openssl | OpenSSL 1.1.1 or 3.x, NPN offered (curl before 7.86 and others) | OpenSSL's defaults with post_handshake_auth and NPN (0x3374, which curl dropped in 7.86). dev shadowsocks/vmess/trojan traces (SNI www.youtube.com), gaijin_mobile_mixed: 9 hellos
tls = *_e8f1e7e78f70_1b3407e2c936 | openssl | OpenSSL 1.1.1 or 3.x, NPN offered | as the line above with different signature algorithms. dev roblox.pcapng, sites.pcapng: 3 hellos
tls = *_e8f1e7e78f70_1f22a2ca17c4 | openssl | OpenSSL 1.1.1 or 3.x defaults (openssl s_client, libpq) | OpenSSL's defaults with session_ticket, no post_handshake_auth. live: openssl s_client 3.0 (Debian 12); dev psql-aws-ssl-preferred.pcap (PostgreSQL's libpq): 1 hello
tls = *_2955a3196ffa_c83f907a73d3 | openssl | LibreSSL (macOS curl and git) | 67 suites with LibreSSL's GOST (0xff85) and draft ChaCha20 (0xcc13-0xcc15) suites. dev 443-curl.pcap and 443-git.pcap (nDPI's traces, named for the client), selfsigned, long_tls_certificate: 4 hellos
tls = *_479067518aa3_d41ae481755e | openssl | PHP streams (OpenSSL 3.x) | live: PHP 8.2 file_get_contents over https (Debian 12)
tls = *_723694b0fccc_899037bd0b8c | gnutls | GnuTLS 3.7 (Debian's wget) | CCM suites (0x1304, 0xc09c-0xc0ad), record_size_limit. live: wget 1.21.3 with GnuTLS (Debian 12)

; ------------------------------------------------------------------------
; Language runtimes
; ------------------------------------------------------------------------

tls = *_85036bcba153_b26ce05bbdd6 | python | Python ssl (3.10 or newer): requests, urllib3 2 | Python's own cipher string (ECDHE and DHE with AES-GCM, ChaCha20, AES-SHA256/384; no SHA-1 suites), no session ticket. live: python-requests 2.34 on Python 3 with OpenSSL 3.0
tls = *_85036bcba153_d339722ba4af | python | Python ssl (3.10 or newer): urllib | as the line above with session_ticket. live: urllib.request on Python 3 with OpenSSL 3.0
tls = *_85036bcba153_d41ae481755e | python | Python ssl (3.10 or newer): a context of ssl.create_default_context() | as the lines above without post_handshake_auth (which urllib's own default context turns on). live: urllib.request with ssl.create_default_context() on Python 3 with OpenSSL 3.0
tls = *_a33745022dd6_1f22a2ca17c4 | node | Node.js tls (https, fetch) | Node's own default cipher list (59 suites with ARIA and CCM). live: Node.js 20 https.get (OpenSSL 3.0)
tls = *_db35923f8641_7c76daad20ec | java | Java JSSE 17 | JSSE's 37 default suites, signature_algorithms_cert (0x0032), status_request_v2 (0x0011). live: OpenJDK 17 HttpsURLConnection (Debian 12)
tls = *_9dc949149365_e7c285222651 | go | Go crypto/tls (1.13 to 1.21) | Go's default suites and signature algorithms (Ed25519 among them). dev trojan-tcp-tls and vmess-tcp-tls traces (trojan-go and V2Ray, both Go programs; SNI test.lan): 2 hellos

; ------------------------------------------------------------------------
; Others
; ------------------------------------------------------------------------

tls = *_77f462745360_33a13ba74d1c | tor | Tor relay link | Tor's cipher list and a random www.<letters>.com SNI, as Tor's link protocol sends. dev tor.pcap: 7 hellos (SNI www.6gyip7tqim7sieb.com and the like)
