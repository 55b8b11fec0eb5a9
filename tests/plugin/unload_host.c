/* A host that loads and unloads libcrdex.so repeatedly, evaluating on a
 * worker thread of its own each time. After the worker has exited and the
 * engine is destroyed, dlclose must really unload the library (the plugin
 * pins nothing and leaves no thread of its own), and the next dlopen starts
 * afresh.
 *   unload_host <libcrdex.so> <rules dir> <request file> */
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdex/crdex.h"

struct call {
  void* plugin;
  const crdex_engine* engine;
  const char* request;
  size_t request_length;
  crdex_status status;
};

static int thread_count(void) {
  DIR* tasks = opendir("/proc/self/task");
  int count = 0;
  for (struct dirent* entry; tasks && (entry = readdir(tasks)) != NULL;)
    if (entry->d_name[0] != '.') ++count;
  if (tasks) closedir(tasks);
  return count;
}

static void* evaluate_on_worker(void* argument) {
  struct call* call = argument;
  crdex_status (*evaluate)(const crdex_engine*, const char*, size_t, const char*, size_t, crdex_result**);
  void (*result_free)(crdex_result*);
  *(void**)&evaluate = dlsym(call->plugin, "crdex_engine_evaluate");
  *(void**)&result_free = dlsym(call->plugin, "crdex_result_free");
  crdex_result* result = NULL;
  call->status = evaluate(call->engine, "crdex-order-sign", 16, call->request, call->request_length, &result);
  result_free(result);
  return NULL;
}

static char* read_all(const char* path, size_t* length) {
  FILE* file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char* text = malloc((size_t)size + 1);
  *length = fread(text, 1, (size_t)size, file);
  fclose(file);
  return text;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  size_t request_length = 0;
  char* request = read_all(argv[3], &request_length);
  char config[4096];
  snprintf(config, sizeof config, "{\"rules_dir\":\"%s\"}", argv[2]);
  const int threads_before = thread_count();

  for (int round = 0; round < 10; ++round) {
    void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!plugin) {
      fprintf(stderr, "round %d: dlopen: %s\n", round, dlerror());
      return 1;
    }
    crdex_status (*init)(uint32_t);
    crdex_status (*shutdown)(void);
    crdex_status (*create)(const crdex_host*, const char*, size_t, crdex_engine**);
    void (*destroy)(crdex_engine*);
    *(void**)&init = dlsym(plugin, "crdex_init");
    *(void**)&shutdown = dlsym(plugin, "crdex_shutdown");
    *(void**)&create = dlsym(plugin, "crdex_engine_create");
    *(void**)&destroy = dlsym(plugin, "crdex_engine_destroy");

    crdex_engine* engine = NULL;
    /* A fresh library has no init left over from the last round. */
    if (shutdown() != CRDEX_E_NOT_INITIALIZED || init(CRDEX_ABI_VERSION) != CRDEX_OK ||
        create(NULL, config, strlen(config), &engine) != CRDEX_OK) {
      fprintf(stderr, "round %d: set-up failed\n", round);
      return 1;
    }
    struct call call = {plugin, engine, request, request_length, CRDEX_E_INTERNAL};
    pthread_t worker;
    pthread_create(&worker, NULL, evaluate_on_worker, &call);
    pthread_join(worker, NULL);
    destroy(engine);
    shutdown();
    dlclose(plugin);

    if (call.status != CRDEX_OK) {
      fprintf(stderr, "round %d: evaluation failed (%d)\n", round, (int)call.status);
      return 1;
    }
    if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != NULL) {
      fprintf(stderr, "round %d: libcrdex.so is still loaded after dlclose\n", round);
      return 1;
    }
    if (thread_count() != threads_before) {
      fprintf(stderr, "round %d: %d threads, %d before\n", round, thread_count(), threads_before);
      return 1;
    }
  }
  free(request);
  printf("10 rounds: loaded, evaluated on a worker thread, unloaded; no threads left\n");
  return 0;
}
