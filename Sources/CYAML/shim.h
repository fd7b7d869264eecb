#ifndef CYAML_SHIM_H
#define CYAML_SHIM_H
// libyaml 0.2 (Debian's libyaml-dev): only its event parser is used, so the reader sets its own limits.
#include <yaml.h>
#endif
