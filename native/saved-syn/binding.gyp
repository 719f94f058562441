# The saved-SYN addon (TCP_SAVE_SYN, TCP_SAVED_SYN, both ends of a socket):
# plain socket calls, no libpcap, so it builds and loads wherever a C++
# compiler does, whether or not the libpcap addon can. Source: native/saved_syn.cc.
{
  "targets": [
    {
      "target_name": "pof_saved_syn",
      "sources": ["../saved_syn.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"],
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
