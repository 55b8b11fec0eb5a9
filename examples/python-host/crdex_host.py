#!/usr/bin/env python3
"""A Python host for libcrdex.so, standard library only (ctypes + json).

Loads the plugin, negotiates the ABI, creates an engine over a rules
directory, evaluates a CDS Hooks request and prints the cards.

    crdex_host.py --plugin build/dev/lib/libcrdex.so --rules examples/rules \\
                  --request examples/requests/order-sign.json [--service crdex-order-sign] [--json]

Exit status: 0 evaluated, 1 the engine refused the request, 2 set-up problems.
"""
import argparse
import ctypes
import json
import sys

ABI_MAJOR, ABI_MINOR = 1, 0
ABI_VERSION = (ABI_MAJOR << 16) | ABI_MINOR
HOST_VERSION = 1
CRDEX_OK = 0

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)


class Host(ctypes.Structure):
    """crdex_host, version 1 (crdex.h): size and version first, append-only."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("struct_version", ctypes.c_uint32),
        ("user_data", ctypes.c_void_p),
        ("log", LOG_FN),
        ("fhir_transport", ctypes.c_void_p),  # none given: the engine uses its own HTTP client
    ]


class CrdexError(Exception):
    pass


class Plugin:
    """The library and the signatures of the functions this host calls."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        c_str, size, void_p = ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p
        signatures = {
            "crdex_init": (ctypes.c_int, [ctypes.c_uint32]),
            "crdex_shutdown": (ctypes.c_int, []),
            "crdex_last_error_message": (c_str, []),
            "crdex_status_name": (c_str, [ctypes.c_int]),
            "crdex_engine_create": (ctypes.c_int, [ctypes.POINTER(Host), c_str, size, ctypes.POINTER(void_p)]),
            "crdex_engine_destroy": (None, [void_p]),
            "crdex_engine_evaluate": (ctypes.c_int, [void_p, c_str, size, c_str, size, ctypes.POINTER(void_p)]),
            "crdex_result_http_status": (ctypes.c_int, [void_p]),
            "crdex_result_json": (void_p, [void_p, ctypes.POINTER(size)]),
            "crdex_result_operation_outcome": (void_p, [void_p, ctypes.POINTER(size)]),
            "crdex_result_message": (c_str, [void_p]),
            "crdex_result_free": (None, [void_p]),
        }
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
            setattr(self, name[len("crdex_"):], function)

    def error(self, status):
        return CrdexError("%s: %s" % (self.status_name(status).decode(), self.last_error_message().decode()))


def result_text(accessor, result):
    """Copies a result's JSON out before the result is freed."""
    length = ctypes.c_size_t()
    pointer = accessor(result, ctypes.byref(length))
    return ctypes.string_at(pointer, length.value).decode() if pointer else None


def evaluate(plugin, rules_dir, service, request_bytes, log):
    host = Host(ctypes.sizeof(Host), HOST_VERSION, None, log, None)
    config = json.dumps({"rules_dir": rules_dir}).encode()
    engine = ctypes.c_void_p()
    status = plugin.engine_create(ctypes.byref(host), config, len(config), ctypes.byref(engine))
    if status != CRDEX_OK:
        raise plugin.error(status)
    try:
        result = ctypes.c_void_p()
        service_bytes = service.encode()
        plugin.engine_evaluate(engine, service_bytes, len(service_bytes), request_bytes, len(request_bytes),
                               ctypes.byref(result))
        try:
            return (plugin.result_http_status(result), result_text(plugin.result_json, result),
                    result_text(plugin.result_operation_outcome, result), plugin.result_message(result).decode())
        finally:
            plugin.result_free(result)
    finally:
        plugin.engine_destroy(engine)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--rules", required=True)
    parser.add_argument("--request", required=True)
    parser.add_argument("--service", default="crdex-order-sign")
    parser.add_argument("--json", action="store_true", help="print the whole response too")
    args = parser.parse_args()

    plugin = Plugin(args.plugin)
    # Keep the callback object alive as long as the engine may call it.
    log = LOG_FN(lambda _user, level, message, length: print("crdex [%d] %s" % (level, message[:length].decode()),
                                                           file=sys.stderr))
    status = plugin.init(ABI_VERSION)
    if status != CRDEX_OK:
        print("crdex_host.py: %s" % plugin.error(status), file=sys.stderr)
        return 2
    try:
        with open(args.request, "rb") as request:
            http_status, response, outcome, message = evaluate(plugin, args.rules, args.service, request.read(), log)
    except (CrdexError, OSError) as problem:
        print("crdex_host.py: %s" % problem, file=sys.stderr)
        return 2
    finally:
        plugin.shutdown()

    print("HTTP %d" % http_status)
    if response is None:
        print("refused: %s\n%s" % (message, outcome), file=sys.stderr)
        return 1
    answer = json.loads(response)
    for card in answer.get("cards", []):
        print("card: [%s] %s" % (card["indicator"], card["summary"]))
    for action in answer.get("systemActions", []):
        print("system action: %s" % action.get("description", action["type"]))
    if args.json:
        print(json.dumps(answer, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
