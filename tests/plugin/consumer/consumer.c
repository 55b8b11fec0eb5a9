/* Links libcrdex.so at build time and negotiates with it. */
#include <crdex/crdex.h>
#include <stdio.h>

int main(void) {
  if (crdex_init(CRDEX_ABI_VERSION) != CRDEX_OK) return 1;
  printf("crdex %s, ABI %u.%u\n", crdex_version_string(), (unsigned)(crdex_abi_version() >> 16),
         (unsigned)(crdex_abi_version() & 0xffffu));
  return crdex_shutdown() == CRDEX_OK ? 0 : 1;
}
