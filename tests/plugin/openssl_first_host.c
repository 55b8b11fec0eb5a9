/* A host that has loaded and initialised OpenSSL itself before it loads
 * libcrdex.so (as EHRs with their own TLS stacks do): the plugin must load,
 * evaluate, unload, and leave the host's OpenSSL working.
 *   openssl_first_host <libcrdex.so> <rules dir> <request file> */
#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crdex/crdex.h"

static int host_sha256_works(void) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  return EVP_Digest("abc", 3, digest, &length, EVP_sha256(), NULL) == 1 && length == 32 && digest[0] == 0xba;
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

#define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(plugin, #name)

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  if (OPENSSL_init_ssl(0, NULL) != 1 || !host_sha256_works()) return 3;
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());

  void* plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!plugin) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 4;
  }
  LOAD(crdex_init);
  LOAD(crdex_shutdown);
  LOAD(crdex_engine_create);
  LOAD(crdex_engine_destroy);
  LOAD(crdex_engine_evaluate);
  LOAD(crdex_result_status);
  LOAD(crdex_result_free);
  LOAD(crdex_last_error_message);

  char config[4096];
  snprintf(config, sizeof config, "{\"rules_dir\":\"%s\"}", argv[2]);
  size_t request_length = 0;
  char* request = read_all(argv[3], &request_length);
  crdex_engine* engine = NULL;
  crdex_result* result = NULL;
  int failed = p_crdex_init(CRDEX_ABI_VERSION) != CRDEX_OK ||
               p_crdex_engine_create(NULL, config, strlen(config), &engine) != CRDEX_OK ||
               p_crdex_engine_evaluate(engine, "crdex-order-sign", 16, request, request_length, &result) != CRDEX_OK;
  if (failed) fprintf(stderr, "crdex: %s\n", p_crdex_last_error_message());
  p_crdex_result_free(result);
  p_crdex_engine_destroy(engine);
  p_crdex_shutdown();
  dlclose(plugin);
  free(request);

  /* The host's OpenSSL is untouched by the plugin's load and unload. */
  int ok = !failed && context != NULL && host_sha256_works();
  SSL_CTX_free(context);
  printf("%s\n", ok ? "openssl-first host: plugin evaluated, host OpenSSL still works" : "FAILED");
  return ok ? 0 : 1;
}
