/* The layout of crdex.h's structs as one compiler saw it; filled by the C99
 * translation unit, compared with the C++20 view in plugin_abi_test.cpp. */
#ifndef CRDEX_TEST_HEADER_LAYOUT_H
#define CRDEX_TEST_HEADER_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct crdex_layout {
  size_t host_size, host_user_data, host_log, host_fhir_transport;
  size_t request_size, request_url_len, request_access_token_len;
  size_t status_size;
  uint32_t abi_version;
};

void crdex_c99_layout(struct crdex_layout* out);

#ifdef __cplusplus
}
#endif

#endif
