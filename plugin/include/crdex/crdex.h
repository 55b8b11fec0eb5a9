/*
 * crdex.h: the C ABI of libcrdex.so, the crdex engine loaded in-process by a
 * host EHR. It evaluates CDS Hooks requests with the same engine as
 * crdex-server (same discovery, same responses, same HTTP-style statuses).
 *
 * The header is C99 and is also valid C++; it contains no C++.
 *
 * Rules that hold for every function (docs/plugin.md has the long form):
 *
 *  - Call crdex_init() first. It is the one negotiation point: it refuses an
 *    ABI version this library cannot serve, and it is counted (each
 *    successful crdex_init() is paired with one crdex_shutdown()).
 *  - Inputs are (pointer, length) pairs, need not be NUL-terminated, and are
 *    borrowed for the duration of the call only: the library copies what it
 *    keeps.
 *  - Everything the library hands out is owned by the library until the
 *    matching free/destroy function: crdex_result_free(),
 *    crdex_engine_destroy(). Both accept NULL and then do nothing.
 *  - No function throws, aborts or exits on bad input: it returns a
 *    crdex_status and explains the failure in crdex_last_error_message() and,
 *    where a result is returned, in the result's message and OperationOutcome.
 *  - Every function carries a thread tag:
 *      [thread-safe]                     any thread, any time, concurrently;
 *      [thread-safe on the same engine]  concurrent calls on one engine are fine;
 *      [not concurrent on the same engine] no other call on that engine may run
 *                                        at the same time, from any thread (the
 *                                        rule libcurl sets for an easy handle);
 *      [not concurrent on the same result] likewise for a crdex_result.
 *  - The library starts no threads. Callbacks are made on the thread that
 *    called into the library, before that call returns.
 */
#ifndef CRDEX_CRDEX_H
#define CRDEX_CRDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define CRDEX_NOEXCEPT noexcept
extern "C" {
#else
#define CRDEX_NOEXCEPT
#endif

#if defined(CRDEX_BUILDING_LIBRARY) && defined(__GNUC__)
#define CRDEX_API __attribute__((visibility("default")))
#else
#define CRDEX_API
#endif

/* ---------------------------------------------------------------------------
 * Versions
 *
 * CRDEX_ABI_VERSION is the ABI this header describes: major in the high 16
 * bits, minor in the low 16. A minor version only adds (functions, enum
 * members, fields at the end of versioned structs); a major version breaks
 * and comes with a new soname (libcrdex.so.2). Pass CRDEX_ABI_VERSION to
 * crdex_init(); the library accepts it when the majors are equal and the
 * host's minor is not newer than its own.
 * ------------------------------------------------------------------------- */
#define CRDEX_ABI_VERSION_MAJOR 1
#define CRDEX_ABI_VERSION_MINOR 1 /* 1.1: Direct Query (crdex_engine_fill_prefetch, fhir_transport) */
#define CRDEX_ABI_VERSION ((uint32_t)((CRDEX_ABI_VERSION_MAJOR << 16) | CRDEX_ABI_VERSION_MINOR))

/* ---------------------------------------------------------------------------
 * Status codes. Values never change meaning; new codes are appended.
 * ------------------------------------------------------------------------- */
typedef enum crdex_status {
  CRDEX_OK = 0,
  /* A required pointer was NULL, or a length was inconsistent with it. */
  CRDEX_E_INVALID_ARGUMENT = 1,
  /* crdex_init() refused the host's ABI version. */
  CRDEX_E_VERSION = 2,
  /* crdex_init() has not succeeded (or every init has been shut down). */
  CRDEX_E_NOT_INITIALIZED = 3,
  /* A versioned struct had a struct_size or struct_version this library cannot read. */
  CRDEX_E_BAD_STRUCT = 4,
  /* The configuration JSON is not JSON. */
  CRDEX_E_BAD_JSON = 5,
  /* The configuration or a rule set is invalid (the message names file, JSON path and problem). */
  CRDEX_E_CONFIG = 6,
  /* The engine refused the hook request (HTTP 400 or another 4xx): malformed
   * JSON, a missing context field, no usable Coverage... The result carries
   * the status and an OperationOutcome. */
  CRDEX_E_BAD_REQUEST = 7,
  /* No CDS service has that id (HTTP 404). */
  CRDEX_E_NOT_FOUND = 8,
  /* The function is declared but this build does not provide it yet; see crdex_feature_available(). */
  CRDEX_E_UNSUPPORTED = 9,
  /* crdex_shutdown() would end the library while engines are still alive. */
  CRDEX_E_BUSY = 10,
  CRDEX_E_NO_MEMORY = 11,
  /* An unexpected failure inside the library (HTTP 500); the host may go on. */
  CRDEX_E_INTERNAL = 12,
  CRDEX_STATUS_MAX_ = 0x7fffffff
} crdex_status;

typedef enum crdex_log_level {
  CRDEX_LOG_DEBUG = 0,
  CRDEX_LOG_INFO = 1,
  CRDEX_LOG_WARNING = 2,
  CRDEX_LOG_ERROR = 3,
  CRDEX_LOG_LEVEL_MAX_ = 0x7fffffff
} crdex_log_level;

/* Parts of the engine a host may ask about with crdex_feature_available(). */
typedef enum crdex_feature {
  CRDEX_FEATURE_HOOKS = 0,         /* discovery, hook evaluation, rule replacement */
  CRDEX_FEATURE_DIRECT_QUERY = 1,  /* crdex_engine_fill_prefetch */
  CRDEX_FEATURE_CDEX = 2,          /* crdex_engine_cdex_create_task, crdex_engine_cdex_fulfil_task */
  CRDEX_FEATURE_SMART_LAUNCH = 3,  /* crdex_engine_smart_launch_create, crdex_engine_smart_launch_resolve */
  CRDEX_FEATURE_MAX_ = 0x7fffffff
} crdex_feature;

/* Opaque handles. */
typedef struct crdex_engine crdex_engine;
typedef struct crdex_result crdex_result;

/* ---------------------------------------------------------------------------
 * Host callbacks
 * ------------------------------------------------------------------------- */

/* Receives the library's log lines. `message` (OWNERSHIP: library; borrowed
 * for the callback only; NUL-terminated; `message_len` excludes the NUL).
 * Called on the thread that called into the library; when the host calls the
 * library from several threads, this function must be thread-safe. */
typedef void (*crdex_log_fn)(void* user_data, crdex_log_level level, const char* message, size_t message_len);

/* One FHIR HTTP interaction the library asks the host to perform.
 * Versioned: struct_size and struct_version first, fields only appended. */
typedef struct crdex_fhir_request {
  uint32_t struct_size;    /* sizeof(crdex_fhir_request) as the library compiled it */
  uint32_t struct_version; /* CRDEX_FHIR_REQUEST_VERSION_1 */
  const char* method;      /* "GET" or "POST", NUL-terminated. OWNERSHIP: library, borrowed for the call */
  const char* url;         /* absolute FHIR URL, not NUL-terminated. OWNERSHIP: library, borrowed */
  size_t url_len;
  const char* body;        /* request body or NULL for GET. OWNERSHIP: library, borrowed */
  size_t body_len;
  const char* access_token; /* fhirAuthorization.access_token from the hook request, or NULL. OWNERSHIP: library, borrowed */
  size_t access_token_len;
} crdex_fhir_request;
#define CRDEX_FHIR_REQUEST_VERSION_1 1u

/* The host hands the FHIR server's answer back through this function, at most
 * once, before its transport function returns. `body` (OWNERSHIP: host; the
 * library copies it before returning). */
typedef void (*crdex_fhir_reply_fn)(void* reply_context, int http_status, const char* body, size_t body_len);

/* Performs `request` with the host's own session, credentials or proxy.
 * Returns CRDEX_OK when the server answered (whatever its HTTP status, which
 * goes to `reply`), any other status when no answer could be obtained.
 *
 * When the host gives one, every Direct Query request of the engine goes
 * through it (crdex_engine_fill_prefetch, and crdex_engine_evaluate when the
 * hook request lacks prefetch keys and carries fhirServer + fhirAuthorization):
 * GET only (and the POST of crdex_engine_cdex_create_task), one at a time, on
 * the thread that called into the library, with
 * an absolute URL under the request's fhirServer (next pages of a search only
 * from the same origin). The host should honour the engine's time budget
 * ("prefetch_timeout_ms"); an answer that arrives later is discarded. Without
 * it the engine uses its built-in libcurl client (HTTPS, or plain HTTP to
 * loopback unless "fhir_allow_http"), which runs the queries in parallel. */
typedef crdex_status (*crdex_fhir_transport_fn)(void* user_data, const crdex_fhir_request* request,
                                                crdex_fhir_reply_fn reply, void* reply_context);

/* What the host offers the engine. Versioned like crdex_fhir_request: set
 * struct_size = sizeof(crdex_host) and struct_version = CRDEX_HOST_VERSION.
 * Later versions only append fields; the library reads the fields of the
 * version the host declares. Copied by crdex_engine_create(). */
typedef struct crdex_host {
  uint32_t struct_size;
  uint32_t struct_version;
  void* user_data;                        /* passed back to every callback. OWNERSHIP: host; must outlive the engine */
  crdex_log_fn log;                       /* optional (NULL: the library does not log) */
  crdex_fhir_transport_fn fhir_transport; /* optional; see crdex_fhir_transport_fn */
} crdex_host;
#define CRDEX_HOST_VERSION_1 1u
#define CRDEX_HOST_VERSION CRDEX_HOST_VERSION_1

/* ---------------------------------------------------------------------------
 * Library: negotiation, global state, versions
 * ------------------------------------------------------------------------- */

/* [thread-safe] The negotiation point and counted global initialisation.
 * Pass CRDEX_ABI_VERSION. Returns CRDEX_OK (and counts one init) when this
 * library serves that ABI; CRDEX_E_VERSION, counting nothing, when it does
 * not. Calling it again is cheap and only counts. */
CRDEX_API crdex_status crdex_init(uint32_t host_abi_version) CRDEX_NOEXCEPT;

/* [thread-safe] Undoes one successful crdex_init(). The last one fails with
 * CRDEX_E_BUSY (and undoes nothing) while engines are alive; without a
 * matching init it returns CRDEX_E_NOT_INITIALIZED. */
CRDEX_API crdex_status crdex_shutdown(void) CRDEX_NOEXCEPT;

/* [thread-safe] The ABI version this library implements (CRDEX_ABI_VERSION of its header). */
CRDEX_API uint32_t crdex_abi_version(void) CRDEX_NOEXCEPT;

/* [thread-safe] The crdex release, e.g. "0.1.0". OWNERSHIP: library, static storage; never free. */
CRDEX_API const char* crdex_version_string(void) CRDEX_NOEXCEPT;

/* [thread-safe] 1 when this build provides `feature`, 0 when its functions answer CRDEX_E_UNSUPPORTED. */
CRDEX_API int crdex_feature_available(crdex_feature feature) CRDEX_NOEXCEPT;

/* [thread-safe] The English explanation of the last failed crdex_* call on the
 * calling thread ("" when it succeeded). OWNERSHIP: library, thread-local;
 * valid until this thread's next crdex_* call; never free. */
CRDEX_API const char* crdex_last_error_message(void) CRDEX_NOEXCEPT;

/* [thread-safe] A constant name for a status, e.g. "CRDEX_E_CONFIG". OWNERSHIP: library, static. */
CRDEX_API const char* crdex_status_name(crdex_status status) CRDEX_NOEXCEPT;

/* ---------------------------------------------------------------------------
 * Engines
 *
 * Configuration JSON, exactly one of:
 *   {"rules_dir": "/path/to/rules"}        every *.json rule file of a directory
 *   {"rule_sets": [ {...}, {...} ]}        crdex-rules/1 documents inline
 * Unknown keys are refused, so a misspelt key is not silently ignored.
 * ------------------------------------------------------------------------- */

/* [thread-safe] Creates an engine. `host` may be NULL (no callbacks); when
 * given it is copied. `config_json` (OWNERSHIP: host, borrowed). On success
 * *out_engine (OWNERSHIP: library until crdex_engine_destroy) is set; on
 * failure it is set to NULL and crdex_last_error_message() says why. */
CRDEX_API crdex_status crdex_engine_create(const crdex_host* host, const char* config_json, size_t config_len,
                                           crdex_engine** out_engine) CRDEX_NOEXCEPT;

/* [not concurrent on the same engine] Destroys an engine; NULL does nothing.
 * No call on `engine` may be running or follow. Results it produced stay valid. */
CRDEX_API void crdex_engine_destroy(crdex_engine* engine) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] The discovery document (GET /cds-services).
 * *out_result (OWNERSHIP: library until crdex_result_free) is set whenever
 * out_result is not NULL, on failure too, except on CRDEX_E_NO_MEMORY. */
CRDEX_API crdex_status crdex_engine_discovery(const crdex_engine* engine, crdex_result** out_result) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] Evaluates a CDS Hooks request for the
 * service `service_id` (e.g. "crdex-order-sign"), as POST
 * /cds-services/{service_id} would. `service_id`, `request_json`
 * (OWNERSHIP: host, borrowed). The result carries the HTTP status the server
 * would answer: 200 with the CDS Hooks response (CRDEX_OK), or a 4xx/500 with
 * an OperationOutcome (CRDEX_E_BAD_REQUEST, CRDEX_E_NOT_FOUND,
 * CRDEX_E_INTERNAL). *out_result as for crdex_engine_discovery(). */
CRDEX_API crdex_status crdex_engine_evaluate(const crdex_engine* engine, const char* service_id, size_t service_id_len,
                                             const char* request_json, size_t request_len,
                                             crdex_result** out_result) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] Direct Query prefetch (CRDEX_FEATURE_DIRECT_QUERY):
 * checks `request_json` as crdex_engine_evaluate would, fetches the prefetch
 * keys of `service_id` it lacks (absent, or an OperationOutcome) from its
 * fhirServer with its fhirAuthorization token -- through the host's
 * fhir_transport when set -- and evaluates nothing. On CRDEX_OK the result
 * JSON is {"request": the hook request with the fetched keys written into
 * "prefetch", "queries": [{"key", "query", "round"}], "problems": {key: why}}:
 * a key that could not be fetched is left as sent and named in "problems".
 * Errors as for crdex_engine_evaluate. */
CRDEX_API crdex_status crdex_engine_fill_prefetch(const crdex_engine* engine, const char* service_id,
                                                  size_t service_id_len, const char* request_json, size_t request_len,
                                                  crdex_result** out_result) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] Replaces the engine's rules with those a
 * configuration document (same shape as for crdex_engine_create) names. All
 * or nothing: on failure the old rules stay in force. Evaluations already
 * running finish on the rules they started with. A later
 * crdex_engine_reload_rules() reads the new configuration's rules_dir. */
CRDEX_API crdex_status crdex_engine_replace_rules(crdex_engine* engine, const char* config_json,
                                                  size_t config_len) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] Reads the configured rules_dir again and
 * swaps the rules in, all or nothing. CRDEX_E_CONFIG when the engine's rules
 * were given inline (there is nothing to re-read) or a file is invalid. */
CRDEX_API crdex_status crdex_engine_reload_rules(crdex_engine* engine) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] CDex (CRDEX_FEATURE_CDEX, ABI 1.1): builds
 * a cdex-task-data-request Task from `request_json` (docs/plugin.md, "CDex")
 * and, when it names "post_to", POSTs it there (through the host's
 * fhir_transport when set); the result JSON is the Task, as created by the
 * server when posted. Errors: CRDEX_E_BAD_JSON, CRDEX_E_BAD_REQUEST (a member
 * missing or wrong; the server refusing with 4xx), CRDEX_E_INTERNAL (5xx, no
 * answer). *out_result as for crdex_engine_discovery(). */
CRDEX_API crdex_status crdex_engine_cdex_create_task(const crdex_engine* engine, const char* request_json,
                                                     size_t request_len, crdex_result** out_result) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] CDex (CRDEX_FEATURE_CDEX, ABI 1.1): fulfils
 * an incoming data-request Task: `task_json` is {"task", "fhir_server",
 * "access_token", "code_queries"} (docs/plugin.md); runs its query against
 * fhir_server on the calling thread and answers the Task completed with the
 * result Bundle as output (or failed with the reason). CRDEX_E_UNSUPPORTED
 * for requests it cannot run (questionnaire, unmapped code). */
CRDEX_API crdex_status crdex_engine_cdex_fulfil_task(const crdex_engine* engine, const char* task_json,
                                                     size_t task_len, crdex_result** out_result) CRDEX_NOEXCEPT;

/* ---------------------------------------------------------------------------
 * Reserved: declared so hosts can code against them; NOT YET AVAILABLE.
 * In this build each returns CRDEX_E_UNSUPPORTED with a message (and, when
 * out_result is not NULL, a result saying so, HTTP 501). Check
 * crdex_feature_available() before relying on them. Inputs and outputs are
 * JSON so that the feature can grow without changing these signatures.
 * ------------------------------------------------------------------------- */

/* [thread-safe on the same engine] SMART (CRDEX_FEATURE_SMART_LAUNCH): creates a
 * launch for a card link; the result JSON holds the launch id and URL. */
CRDEX_API crdex_status crdex_engine_smart_launch_create(const crdex_engine* engine, const char* link_json,
                                                        size_t link_len, crdex_result** out_result) CRDEX_NOEXCEPT;

/* [thread-safe on the same engine] SMART (CRDEX_FEATURE_SMART_LAUNCH): the launch
 * context a launch id stands for. */
CRDEX_API crdex_status crdex_engine_smart_launch_resolve(const crdex_engine* engine, const char* launch_id,
                                                         size_t launch_id_len, crdex_result** out_result) CRDEX_NOEXCEPT;

/* ---------------------------------------------------------------------------
 * Results. A result is immutable, so its accessors may run concurrently;
 * every pointer an accessor returns is OWNERSHIP: library, NUL-terminated,
 * valid until crdex_result_free(result). Accessors accept NULL.
 * ------------------------------------------------------------------------- */

/* [thread-safe] The call's status; CRDEX_E_INVALID_ARGUMENT for NULL. */
CRDEX_API crdex_status crdex_result_status(const crdex_result* result) CRDEX_NOEXCEPT;

/* [thread-safe] The HTTP status crdex-server would answer (200, 400, 404, 500, 501...); 0 for NULL. */
CRDEX_API int crdex_result_http_status(const crdex_result* result) CRDEX_NOEXCEPT;

/* [thread-safe] The answer's JSON on success (the CDS Hooks response, the discovery
 * document...), NULL on failure or for NULL. *out_len (optional) gets the
 * length without the NUL. */
CRDEX_API const char* crdex_result_json(const crdex_result* result, size_t* out_len) CRDEX_NOEXCEPT;

/* [thread-safe] The FHIR OperationOutcome explaining a failure, NULL on success or for NULL. */
CRDEX_API const char* crdex_result_operation_outcome(const crdex_result* result, size_t* out_len) CRDEX_NOEXCEPT;

/* [thread-safe] The failure in one English sentence, "" on success or for NULL. */
CRDEX_API const char* crdex_result_message(const crdex_result* result) CRDEX_NOEXCEPT;

/* [not concurrent on the same result] Frees a result; NULL does nothing.
 * No accessor on `result` may be running or follow. */
CRDEX_API void crdex_result_free(crdex_result* result) CRDEX_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CRDEX_CRDEX_H */
