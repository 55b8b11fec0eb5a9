#!/usr/bin/env python3
"""A Python host for libcrdex.so, standard library only (ctypes + json).

Loads the plugin, negotiates the ABI, creates an engine over a rules
directory, evaluates a CDS Hooks request and prints the cards.

    crdex_host.py --plugin build/dev/lib/libcrdex.so --rules examples/rules \\
                  --request examples/requests/order-sign.json [--service crdex-order-sign] [--json]

With --fhir-server BASE the request is pointed at that FHIR server (its
prefetch dropped, fhirServer set, fhirAuthorization given --access-token),
the prefetch is filled from there (crdex_engine_fill_prefetch; one
"prefetched: <key>" line per key) and the filled request is evaluated.

    crdex_host.py --plugin ... --rules ... --cdex-task task-request.json [--post-to BASE] [--access-token T]

creates a CDex data-request Task (crdex_engine_cdex_create_task, JSON as in
docs/plugin.md), POSTed to BASE when given, and prints "task: Task/<id> <status>".

Exit status: 0 done, 1 the engine refused the request, 2 set-up problems.
"""
import argparse
import ctypes
import json
import sys

ABI_MAJOR, ABI_MINOR = 1, 1
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
            "crdex_engine_fill_prefetch": (ctypes.c_int, [void_p, c_str, size, c_str, size, ctypes.POINTER(void_p)]),
            "crdex_engine_cdex_create_task": (ctypes.c_int, [void_p, c_str, size, ctypes.POINTER(void_p)]),
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


class Engine:
    """An engine over a rules directory, destroyed on leaving the with block."""

    def __init__(self, plugin, rules_dir, log):
        self.plugin = plugin
        self.host = Host(ctypes.sizeof(Host), HOST_VERSION, None, log, None)
        config = json.dumps({"rules_dir": rules_dir}).encode()
        self.handle = ctypes.c_void_p()
        status = plugin.engine_create(ctypes.byref(self.host), config, len(config), ctypes.byref(self.handle))
        if status != CRDEX_OK:
            raise plugin.error(status)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.plugin.engine_destroy(self.handle)

    def call(self, function, *text_arguments):
        """Calls an engine function taking (text, length) pairs and returns
        (http status, JSON or None, OperationOutcome or None, message)."""
        arguments = []
        for text in text_arguments:
            arguments += [text, len(text)]
        result = ctypes.c_void_p()
        function(self.handle, *arguments, ctypes.byref(result))
        try:
            return (self.plugin.result_http_status(result), result_text(self.plugin.result_json, result),
                    result_text(self.plugin.result_operation_outcome, result),
                    self.plugin.result_message(result).decode())
        finally:
            self.plugin.result_free(result)


def pointed_at(request_bytes, fhir_server, access_token):
    """The hook request without prefetch, for the EHR FHIR server `fhir_server`."""
    request = json.loads(request_bytes)
    request.pop("prefetch", None)
    request["fhirServer"] = fhir_server
    request["fhirAuthorization"] = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                                    "scope": "user/*.rs", "subject": "crdex-python-host"}
    return json.dumps(request).encode()


def run(plugin, args, log):
    """The mode's calls; returns (exit status, lines to print)."""
    with Engine(plugin, args.rules, log) as engine:
        if args.cdex_task:
            with open(args.cdex_task, "rb") as source:
                task_request = json.load(source)
            if args.post_to:
                task_request["post_to"] = args.post_to
                if args.access_token:
                    task_request["access_token"] = args.access_token
            http_status, task, outcome, message = engine.call(plugin.engine_cdex_create_task,
                                                              json.dumps(task_request).encode())
            if task is None:
                return 1, ["HTTP %d" % http_status, "refused: %s" % message, outcome]
            task = json.loads(task)
            lines = ["task: Task/%s %s" % (task.get("id", "?"), task["status"])]
            return 0, lines + ([json.dumps(task, indent=2)] if args.json else [])

        service = args.service.encode()
        with open(args.request, "rb") as source:
            request = source.read()
        lines = []
        if args.fhir_server:
            request = pointed_at(request, args.fhir_server, args.access_token or "crdex-python-host-token")
            http_status, fill, outcome, message = engine.call(plugin.engine_fill_prefetch, service, request)
            if fill is None:
                return 1, ["HTTP %d" % http_status, "fill refused: %s" % message, outcome]
            fill = json.loads(fill)
            lines += ["prefetched: %s" % key for key in sorted(fill["request"].get("prefetch", {}))]
            lines += ["not prefetched: %s (%s)" % item for item in sorted(fill["problems"].items())]
            request = json.dumps(fill["request"]).encode()
        http_status, response, outcome, message = engine.call(plugin.engine_evaluate, service, request)
        lines.append("HTTP %d" % http_status)
        if response is None:
            return 1, lines + ["refused: %s" % message, outcome]
        answer = json.loads(response)
        lines += ["card: [%s] %s" % (card["indicator"], card["summary"]) for card in answer.get("cards", [])]
        lines += ["system action: %s" % action.get("description", action["type"])
                  for action in answer.get("systemActions", [])]
        return 0, lines + ([json.dumps(answer, indent=2)] if args.json else [])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--rules", required=True)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--request", help="a CDS Hooks request to evaluate")
    mode.add_argument("--cdex-task", help="a CDex task request (docs/plugin.md) to create")
    parser.add_argument("--service", default="crdex-order-sign")
    parser.add_argument("--fhir-server", help="fill the request's prefetch from this FHIR server first")
    parser.add_argument("--post-to", help="with --cdex-task: the FHIR server the Task is POSTed to")
    parser.add_argument("--access-token", help="the token for --fhir-server or --post-to")
    parser.add_argument("--json", action="store_true", help="print the whole response too")
    args = parser.parse_args()
    if args.fhir_server and not args.request:
        parser.error("--fhir-server goes with --request")
    if args.post_to and not args.cdex_task:
        parser.error("--post-to goes with --cdex-task")

    plugin = Plugin(args.plugin)
    # Keep the callback object alive as long as the engine may call it.
    log = LOG_FN(lambda _user, level, message, length: print("crdex [%d] %s" % (level, message[:length].decode()),
                                                           file=sys.stderr))
    status = plugin.init(ABI_VERSION)
    if status != CRDEX_OK:
        print("crdex_host.py: %s" % plugin.error(status), file=sys.stderr)
        return 2
    try:
        exit_status, lines = run(plugin, args, log)
    except (CrdexError, OSError, ValueError) as problem:
        print("crdex_host.py: %s" % problem, file=sys.stderr)
        return 2
    finally:
        plugin.shutdown()
    for line in filter(None, lines):
        print(line, file=sys.stdout if exit_status == 0 or line.startswith("HTTP") else sys.stderr)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
