/* A minimal C host for libcrdex.so: loads the plugin with dlopen, negotiates
 * the ABI, creates an engine over a rules directory, and then, by mode:
 *
 *   crdex-c-host [-v] <libcrdex.so> <rules dir> <request.json>
 *       evaluates one order-sign request and prints the cards (then the whole
 *       CDS Hooks response with -v);
 *   crdex-c-host [-v] --fill-prefetch <libcrdex.so> <rules dir> <request.json>
 *       the request carries fhirServer + fhirAuthorization and no prefetch:
 *       fills the prefetch from that FHIR server (Direct Query, the plugin's
 *       own client), prints one "prefetched: <key>" line per key, then
 *       evaluates the request (the engine fetches again) and prints the cards;
 *   crdex-c-host [-v] --cdex-task <libcrdex.so> <rules dir> <task-request.json>
 *       creates a CDex data-request Task from the JSON documented in
 *       docs/plugin.md (with "post_to": POSTed to that FHIR server) and prints
 *       "task: Task/<id> <status>".
 *
 * Exit status: 0 done, 1 the engine refused the request, 2 usage or loading
 * problems. Build: cc -I<prefix>/include crdex_c_host.c -ldl */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdex/crdex.h"

/* The functions this host uses, found by name: a host that wants to run
 * against several plugin versions checks each lookup. */
struct crdex_functions {
  crdex_status (*init)(uint32_t);
  crdex_status (*shutdown)(void);
  const char* (*last_error_message)(void);
  crdex_status (*engine_create)(const crdex_host*, const char*, size_t, crdex_engine**);
  void (*engine_destroy)(crdex_engine*);
  crdex_status (*engine_evaluate)(const crdex_engine*, const char*, size_t, const char*, size_t, crdex_result**);
  crdex_status (*engine_fill_prefetch)(const crdex_engine*, const char*, size_t, const char*, size_t,
                                       crdex_result**);
  crdex_status (*engine_cdex_create_task)(const crdex_engine*, const char*, size_t, crdex_result**);
  int (*result_http_status)(const crdex_result*);
  const char* (*result_json)(const crdex_result*, size_t*);
  const char* (*result_message)(const crdex_result*);
  void (*result_free)(crdex_result*);
};

static int find(void* plugin, const char* name, void** out) {
  *out = dlsym(plugin, name);
  if (!*out) fprintf(stderr, "crdex-c-host: the plugin lacks %s: not a libcrdex.so of ABI 1\n", name);
  return *out != NULL;
}

static int load_functions(void* plugin, struct crdex_functions* f) {
  /* Each pointer is filled through a void* (POSIX guarantees the round trip). */
  return find(plugin, "crdex_init", (void**)&f->init) && find(plugin, "crdex_shutdown", (void**)&f->shutdown) &&
         find(plugin, "crdex_last_error_message", (void**)&f->last_error_message) &&
         find(plugin, "crdex_engine_create", (void**)&f->engine_create) &&
         find(plugin, "crdex_engine_destroy", (void**)&f->engine_destroy) &&
         find(plugin, "crdex_engine_evaluate", (void**)&f->engine_evaluate) &&
         find(plugin, "crdex_result_http_status", (void**)&f->result_http_status) &&
         find(plugin, "crdex_result_json", (void**)&f->result_json) &&
         find(plugin, "crdex_result_message", (void**)&f->result_message) &&
         find(plugin, "crdex_result_free", (void**)&f->result_free);
}

static char* read_file(const char* path, size_t* length) {
  FILE* file = fopen(path, "rb");
  if (!file) return NULL;
  size_t capacity = 1 << 16, used = 0, got;
  char* text = malloc(capacity);
  while (text && (got = fread(text + used, 1, capacity - used, file)) > 0) {
    used += got;
    if (used == capacity) text = realloc(text, capacity *= 2);
  }
  fclose(file);
  *length = used;
  return text;
}

static void log_line(void* user_data, crdex_log_level level, const char* message, size_t length) {
  (void)user_data;
  fprintf(stderr, "crdex [%d] %.*s\n", (int)level, (int)length, message);
}

/* Prints "card: [indicator] summary" per card. A real host parses the JSON
 * with its own JSON library; this example stays dependency-free and relies on
 * the response being compact JSON, as crdex writes it. */
static void print_cards(const char* response) {
  const char* at = strstr(response, "\"cards\":[");
  const char* stop = at ? strstr(at, "\"systemActions\"") : NULL;
  while (at && (at = strstr(at, "\"summary\":\"")) != NULL && (!stop || at < stop)) {
    const char* summary = at + strlen("\"summary\":\"");
    const char* summary_end = strchr(summary, '"');
    const char* indicator = summary_end ? strstr(summary_end, "\"indicator\":\"") : NULL;
    if (!summary_end || !indicator) break;
    indicator += strlen("\"indicator\":\"");
    const char* indicator_end = strchr(indicator, '"');
    printf("card: [%.*s] %.*s\n", (int)(indicator_end - indicator), indicator, (int)(summary_end - summary), summary);
    at = summary_end;
  }
}

/* The text of a top-level-looking string member `"name":"..."` after `from`
 * (compact JSON as crdex writes it), or "?" when absent. */
static void print_member(const char* from, const char* name) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":\"", name);
  const char* at = from ? strstr(from, key) : NULL;
  const char* end = at ? strchr(at + strlen(key), '"') : NULL;
  if (end)
    printf("%.*s", (int)(end - at - strlen(key)), at + strlen(key));
  else
    printf("?");
}

/* Prints "prefetched: <key>" for each key of the fill's "prefetch" object,
 * read shallowly: the keys are the members at depth 1 of that object. */
static void print_prefetched_keys(const char* fill) {
  const char* at = strstr(fill, "\"prefetch\":{");
  if (!at) return;
  at += strlen("\"prefetch\":{");
  int depth = 0, in_string = 0;
  const char* key_start = NULL;
  for (; *at; ++at) {
    if (in_string) {
      if (*at == '\\' && at[1]) {
        ++at;
      } else if (*at == '"') {
        in_string = 0;
        if (depth == 0 && key_start && at[1] == ':') printf("prefetched: %.*s\n", (int)(at - key_start), key_start);
        key_start = NULL;
      }
    } else if (*at == '"') {
      in_string = 1;
      key_start = depth == 0 && (at[-1] == '{' || at[-1] == ',') ? at + 1 : NULL;
    } else if (*at == '{' || *at == '[') {
      ++depth;
    } else if (*at == '}' || *at == ']') {
      if (depth-- == 0) return;
    }
  }
}

enum mode { MODE_EVALUATE, MODE_FILL_PREFETCH, MODE_CDEX_TASK };

/* Runs the mode's calls on a live engine; returns the exit status. */
static int run(const struct crdex_functions* crdex, crdex_engine* engine, enum mode mode, int verbose,
               const char* input, size_t input_length) {
  const char service[] = "crdex-order-sign";
  crdex_result* result = NULL;
  if (mode == MODE_CDEX_TASK) {
    crdex->engine_cdex_create_task(engine, input, input_length, &result);
  } else {
    if (mode == MODE_FILL_PREFETCH) {
      crdex->engine_fill_prefetch(engine, service, strlen(service), input, input_length, &result);
      const char* fill = crdex->result_json(result, NULL);
      if (!fill) {
        fprintf(stderr, "crdex-c-host: fill: HTTP %d: %s\n", crdex->result_http_status(result),
                crdex->result_message(result));
        crdex->result_free(result);
        return result ? 1 : 2;
      }
      print_prefetched_keys(fill);
      if (verbose) printf("%s\n", fill);
      crdex->result_free(result);
      result = NULL;
    }
    crdex->engine_evaluate(engine, service, strlen(service), input, input_length, &result);
  }
  const char* answer = crdex->result_json(result, NULL);
  int exit_code = 0;
  if (!answer) {
    fprintf(stderr, "crdex-c-host: HTTP %d: %s\n", crdex->result_http_status(result), crdex->result_message(result));
    exit_code = result ? 1 : 2;
  } else if (mode == MODE_CDEX_TASK) {
    printf("task: Task/");
    print_member(answer, "id");
    printf(" ");
    print_member(answer, "status");
    printf("\n");
    if (verbose) printf("%s\n", answer);
  } else {
    printf("HTTP %d\n", crdex->result_http_status(result));
    print_cards(answer);
    if (verbose) printf("%s\n", answer);
  }
  crdex->result_free(result);
  return exit_code;
}

int main(int argc, char** argv) {
  int verbose = 0, first = 1;
  enum mode mode = MODE_EVALUATE;
  for (; first < argc && argv[first][0] == '-'; ++first) {
    if (strcmp(argv[first], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[first], "--fill-prefetch") == 0) {
      mode = MODE_FILL_PREFETCH;
    } else if (strcmp(argv[first], "--cdex-task") == 0) {
      mode = MODE_CDEX_TASK;
    } else {
      break;
    }
  }
  if (argc - first != 3) {
    fprintf(stderr, "usage: crdex-c-host [-v] [--fill-prefetch | --cdex-task] <libcrdex.so> <rules dir> <input.json>\n");
    return 2;
  }
  const char* plugin_path = argv[first];
  const char* rules_dir = argv[first + 1];
  const char* request_path = argv[first + 2];

  void* plugin = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
  if (!plugin) {
    fprintf(stderr, "crdex-c-host: %s\n", dlerror());
    return 2;
  }
  struct crdex_functions crdex;
  /* The modes' functions are looked up only when the mode needs them (ABI 1.1). */
  if (!load_functions(plugin, &crdex) ||
      (mode == MODE_FILL_PREFETCH && !find(plugin, "crdex_engine_fill_prefetch", (void**)&crdex.engine_fill_prefetch)) ||
      (mode == MODE_CDEX_TASK && !find(plugin, "crdex_engine_cdex_create_task", (void**)&crdex.engine_cdex_create_task))) {
    dlclose(plugin);
    return 2;
  }
  if (crdex.init(CRDEX_ABI_VERSION) != CRDEX_OK) {
    fprintf(stderr, "crdex-c-host: the plugin refused ABI %d.%d: %s\n", CRDEX_ABI_VERSION_MAJOR,
            CRDEX_ABI_VERSION_MINOR, crdex.last_error_message());
    dlclose(plugin);
    return 2;
  }

  int exit_code = 2;
  size_t request_length = 0;
  char* request = read_file(request_path, &request_length);
  char config[4096];
  /* A rules path with quotes or backslashes would need JSON escaping. */
  snprintf(config, sizeof config, "{\"rules_dir\":\"%s\"}", rules_dir);
  crdex_host host = {sizeof(crdex_host), CRDEX_HOST_VERSION, NULL, log_line, NULL};
  crdex_engine* engine = NULL;
  if (!request) {
    fprintf(stderr, "crdex-c-host: cannot read %s\n", request_path);
  } else if (crdex.engine_create(&host, config, strlen(config), &engine) != CRDEX_OK) {
    fprintf(stderr, "crdex-c-host: %s\n", crdex.last_error_message());
  } else {
    exit_code = run(&crdex, engine, mode, verbose, request, request_length);
  }
  crdex.engine_destroy(engine);
  crdex.shutdown();
  free(request);
  dlclose(plugin);
  return exit_code;
}
