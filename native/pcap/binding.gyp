# The libpcap addon (live capture, filter expressions, the interface list):
# built apart from the saved-SYN one, since it needs libpcap's headers
# (Debian: libpcap-dev) and libpcap.so at run time. Sources are in native/.
{
  "targets": [
    {
      "target_name": "pof_pcap",
      "sources": [
        "../pof_pcap.cc",
        "../live.cc",
        "../offline.cc",
        "../devices.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"],
      "libraries": ["-lpcap"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }]
      ]
    }
  ]
}
