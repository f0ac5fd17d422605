"""A warm parent for nbpipe's Python kernels: import ipykernel once, fork a fresh kernel per request.

Started by nbpipe (README "Fresh kernels") as `python nbpipe_zygote.py [module ...]` on the interpreter
of a Python kernelspec, or as `python nbpipe_zygote.py --no-kernel [module ...]` on the interpreter of
the embedded executor. It imports ipykernel's kernel machinery (not with --no-kernel) and the named
`preload` modules, and nothing else runs: no user code, no thread, no socket. Then it reads one JSON
request per line on stdin and answers one JSON message per line on stdout:

  {"kernel": [args], "cwd": ..., "env": {...}, "output": path}  ->  {"pid": pid}
  {"code": source, "stdin": path, "cwd": ..., ...}               ->  {"pid": pid}
  (later, when that child has exited)                             ->  {"exited": pid, "code": c, "signal": s}

A request with "socket": path gives the child a connection to that Unix socket as its file
descriptors 3 and 4 (how the embedded executor's driver reads its requests and sends its messages).

Each request forks a child that puts itself in a process group of its own, takes the given working
directory, environment and fresh random seeds, writes its stdout/stderr to `output`, and becomes
either a Jupyter kernel exactly as `python -m ipykernel_launcher ARGS` would, or `python -c SOURCE`
reading the file `stdin` on its stdin. A watcher beside it, in its group,
kills the group when this parent dies however it dies: nothing a task started outlives the run.
The parent exits at end of file on stdin (nbpipe closed it or died).
"""

import gc
import json
import os
import signal
import sys
import threading

_KERNELS = sys.argv[1:2] != ["--no-kernel"]
if _KERNELS:
    import ipykernel.kernelapp

for _module in sys.argv[1 if _KERNELS else 2 :]:
    __import__(_module)

# Forking a process that has threads copies their locks in whatever state they are: refuse to start.
if threading.active_count() != 1:
    sys.stderr.write("cannot fork kernels: importing the kernel started %d threads\n" % (threading.active_count() - 1))
    sys.exit(3)

# What the imports made is never garbage: collections in the children (IPython runs a full one at
# exit) skip it, and its memory stays shared with the parent instead of being copied on write.
gc.collect()
gc.freeze()

# The read end stays in every child: it sees end of file once this process is gone, however it went.
_alive_read, _alive_write = os.pipe()
_wakeup_read, _wakeup_write = os.pipe()
os.set_blocking(_wakeup_write, False)


_children = set()


def _send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid not in _children:
            continue  # a watcher
        _children.discard(pid)
        # what the kernel left in its group (its watcher, a cell's subprocesses) goes with it
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if os.WIFSIGNALED(status):
            _send({"exited": pid, "code": None, "signal": os.WTERMSIG(status)})
        else:
            _send({"exited": pid, "code": os.waitstatus_to_exitcode(status), "signal": None})


def _serve():
    """Answer requests until end of file; returns a request only in a forked child."""
    import select

    signal.set_wakeup_fd(_wakeup_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pending = b""
    _send({"ready": True})
    while True:
        readable, _, _ = select.select([0, _wakeup_read], [], [])
        if _wakeup_read in readable:
            os.read(_wakeup_read, 512)
            _reap()
        if 0 not in readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return None
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                return request
            # set here too, so that a signal sent to the group as soon as we answer finds it
            try:
                os.setpgid(pid, pid)
            except OSError:
                pass
            _children.add(pid)
            _spawn_watcher(pid)
            _send({"pid": pid})


def _become_child(request):
    os.setpgid(0, 0)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for fd in (_alive_read, _alive_write, _wakeup_read, _wakeup_write):
        os.close(fd)

    stdin = os.open(request.get("stdin", os.devnull), os.O_RDONLY)
    os.dup2(stdin, 0)
    os.close(stdin)
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)

    if "socket" in request:
        import socket

        connection = socket.socket(socket.AF_UNIX)
        connection.connect(request["socket"])
        fd = connection.detach()
        for target in (3, 4):
            if fd != target:
                os.dup2(fd, target)
        if fd not in (3, 4):
            os.close(fd)

    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # `python -m` puts the working directory first on sys.path, where this script's folder is now
    sys.path[0] = os.getcwd() if "kernel" in request else ""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    sys.argv = [ipykernel.kernelapp.__file__] + request["kernel"] if "kernel" in request else ["-c"]


def _spawn_watcher(group):
    """A process in the child's group, ours rather than the child's (ipykernel waits for its children at
    shutdown), that kills the group at end of file on the pipe only this process writes: when it dies.
    A tiny shell, not a fork of this big process: it starts in a fraction of the time."""
    os.posix_spawn(
        "/bin/sh",
        ["sh", "-c", "trap '' HUP INT; read _ <&3; kill -KILL 0"],
        os.environ,
        file_actions=[(os.POSIX_SPAWN_DUP2, _alive_read, 3)],
        setpgroup=group,
    )


def _run_and_exit(run):
    """Run, then exit as the interpreter does but without tearing the inherited modules down one by one.

    Python's own exit waits for non-daemon threads, runs the atexit functions (IPython's clears the
    user's namespace there, which closes the files it left open) and flushes the standard streams; the
    teardown of every object left after that only costs time (a third of a second with ipykernel).
    """
    try:
        run()
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            sys.stderr.write("%s\n" % (e.code,))
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    threading._shutdown()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


_request = _serve()
if _request is None:
    # end of file: exit now rather than tear the imported modules down (a third of a second); the children
    # still running go with their watchers
    os._exit(0)
else:
    _become_child(_request)
    if "kernel" in _request:
        _run_and_exit(ipykernel.kernelapp.launch_new_instance)
    else:
        _code = compile(_request["code"], "<string>", "exec")
        _run_and_exit(lambda: exec(_code, {"__name__": "__main__", "__builtins__": __builtins__}))
