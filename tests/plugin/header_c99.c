/* crdex.h compiled as strict C99 (-std=c99 -pedantic-errors, see
 * CMakeLists.txt): a C host must be able to include it. The layout of the
 * versioned structs as a C compiler sees it is reported to the C++ tests,
 * which check it against the frozen values. */
#include "crdex/crdex.h"

#include <stddef.h>

#include "plugin/header_layout.h"

/* Frozen for LP64 (x86-64, aarch64 Linux): a change here breaks every host. */
#if UINTPTR_MAX == 0xffffffffffffffffu
typedef char crdex_host_size_is_frozen[sizeof(crdex_host) == 32 ? 1 : -1];
typedef char crdex_host_log_offset_is_frozen[offsetof(crdex_host, log) == 16 ? 1 : -1];
typedef char crdex_fhir_request_size_is_frozen[sizeof(crdex_fhir_request) == 64 ? 1 : -1];
#endif

void crdex_c99_layout(struct crdex_layout* out) {
  out->host_size = sizeof(crdex_host);
  out->host_user_data = offsetof(crdex_host, user_data);
  out->host_log = offsetof(crdex_host, log);
  out->host_fhir_transport = offsetof(crdex_host, fhir_transport);
  out->request_size = sizeof(crdex_fhir_request);
  out->request_url_len = offsetof(crdex_fhir_request, url_len);
  out->request_access_token_len = offsetof(crdex_fhir_request, access_token_len);
  out->status_size = sizeof(crdex_status);
  out->abi_version = CRDEX_ABI_VERSION;
}
