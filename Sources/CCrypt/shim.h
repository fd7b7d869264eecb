#ifndef CCRYPT_SHIM_H
#define CCRYPT_SHIM_H
// libxcrypt's crypt_rn and crypt_gensalt_rn for bcrypt (Debian's libcrypt-dev).
#include <crypt.h>
#endif
