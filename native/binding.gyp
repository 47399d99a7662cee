{
  "targets": [
    {
      "target_name": "vrrpd_native",
      "sources": ["src/addon.cc", "src/errors.cc", "src/sockaddr.cc", "src/socket.cc", "src/socket_io.cc", "src/tcp_prober.cc", "src/poll_box.cc", "src/signal_watch.cc", "src/signal_claim.cc", "src/advert_filter.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "ldflags": ["-Wl,-z,relro", "-Wl,-z,now"]
    }
  ]
}
