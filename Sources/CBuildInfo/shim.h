// Build facts for `--version` and zmq_exporter_build_info. scripts/build-info.sh (run by the
// Makefile before `swift build`) writes build_info_generated.h from git; a plain `swift build`
// without it gets "unknown".
#if __has_include("build_info_generated.h")
#include "build_info_generated.h"
#endif
#ifndef ZMQX_REVISION
#define ZMQX_REVISION "unknown"
#endif
#ifndef ZMQX_BRANCH
#define ZMQX_BRANCH "unknown"
#endif
#ifndef ZMQX_BUILD_DATE
#define ZMQX_BUILD_DATE "unknown"
#endif
#ifndef ZMQX_SWIFT_VERSION
#define ZMQX_SWIFT_VERSION ""
#endif
