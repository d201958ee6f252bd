"""Structural checks of deploy/Dockerfile (no image is built here: pulling base images needs a registry).

Parses the instructions (line continuations joined) into stages and checks: a debian:12 build stage that uses
scripts/install-deps.sh and a Release CMake build with CATENA_CUDA from a build arg; a debian:12-slim runtime
stage that copies from the build stage, installs no -dev packages, runs as a fixed non-root uid, exposes the
gRPC and HTTP ports and starts in exec form; nothing downloaded from URLs. Also checks that the runtime
packages provide every shared library a locally built binary needs. Used by check_deploy.py and selftest.py.
"""

import json
import os
import re
import shlex
import subprocess

# Packages every debian:12-slim image already has.
BASE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}
URL = re.compile(r"\b(?:https?|ftp)://", re.IGNORECASE)


def parse(text):
    """[(instruction, argument)] with continuations joined and comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped[:-1] if stripped.endswith("\\") else " " + stripped
        if not stripped.endswith("\\"):
            keyword, _, argument = current.strip().partition(" ")
            instructions.append((keyword.upper(), argument.strip()))
            current = ""
    return instructions


def stages(instructions):
    """[(base image with ARG defaults substituted, stage name, [instructions])]; global ARGs resolve FROM."""
    defaults, result = {}, []
    for keyword, argument in instructions:
        if keyword == "ARG" and not result:
            name, _, value = argument.partition("=")
            defaults[name] = value
        elif keyword == "FROM":
            words = argument.split()
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), words[-3]
                           if len(words) >= 3 and words[-2].upper() == "AS" else words[-1])
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else None
            result.append((image, name, []))
        elif result:
            result[-1][2].append((keyword, argument))
    return result


def runtime_packages(stage_instructions):
    packages = set()
    for keyword, argument in stage_instructions:
        if keyword == "RUN" and "apt-get install" in argument:
            for command in re.split(r"&&|;", argument):
                if "apt-get install" in command:
                    packages.update(w for w in shlex.split(command.split("install", 1)[1]) if not w.startswith("-"))
    return packages


def check_dockerfile(text, dockerignore):
    """Problems with the Dockerfile text; returns (problems, uid, gid, runtime packages)."""
    problems, instructions = [], parse(text)
    parsed = stages(instructions)
    if len(parsed) < 2 or any(name is None for _, name, _ in parsed):
        return ["Dockerfile: expected at least two named stages (FROM ... AS name)"], None, None, set()
    (build_image, build_name, build), (runtime_image, _, runtime) = parsed[0], parsed[-1]
    if build_image != "debian:12":
        problems.append("Dockerfile: build stage is FROM %s, expected debian:12" % build_image)
    if runtime_image != "debian:12-slim":
        problems.append("Dockerfile: runtime stage is FROM %s, expected debian:12-slim" % runtime_image)
    build_runs = " ".join(a for k, a in build if k == "RUN")
    for needle, what in (("scripts/install-deps.sh", "install the build dependencies with scripts/install-deps.sh"),
                         ("-DCMAKE_BUILD_TYPE=Release", "build with -DCMAKE_BUILD_TYPE=Release"),
                         ("CATENA_CUDA=\"${CATENA_CUDA}\"", "pass -DCATENA_CUDA from the CATENA_CUDA build arg")):
        if needle not in build_runs:
            problems.append("Dockerfile: the build stage does not %s" % what)
    if not any(k == "ARG" and a.startswith("CATENA_CUDA") for k, a in build):
        problems.append("Dockerfile: no ARG CATENA_CUDA in the build stage")
    for keyword, argument in instructions:
        if keyword == "ADD" and URL.search(argument):
            problems.append("Dockerfile: ADD of a URL: %s" % argument)
        if keyword == "RUN" and (re.search(r"\b(curl|wget)\b", argument) or URL.search(argument)):
            problems.append("Dockerfile: RUN downloads from outside Debian: %s" % argument[:120])
    if not any(k == "COPY" and "--from=%s" % build_name in a for k, a in runtime):
        problems.append("Dockerfile: the runtime stage copies nothing from the %s stage" % build_name)
    packages = runtime_packages(runtime)
    dev = sorted(p for p in packages if p.endswith("-dev") or p in ("build-essential", "cmake", "gcc", "g++"))
    if dev:
        problems.append("Dockerfile: the runtime stage installs build packages %s" % dev)
    users = [a for k, a in runtime if k == "USER"]
    uid = gid = None
    if not users:
        problems.append("Dockerfile: the runtime stage has no USER (it would run as root)")
    else:
        user, _, group = users[-1].partition(":")
        if not user.isdigit() or int(user) == 0:
            problems.append("Dockerfile: final USER %r is not a fixed non-root numeric uid" % users[-1])
        else:
            uid, gid = int(user), int(group) if group.isdigit() else None
    exposed = {p.split("/")[0] for k, a in runtime if k == "EXPOSE" for p in a.split()}
    for port in ("50051", "8080"):
        if port not in exposed:
            problems.append("Dockerfile: port %s is not EXPOSEd" % port)
    problems += check_entrypoint(runtime)
    problems += check_dockerignore(dockerignore)
    return problems, uid, gid, packages


def check_entrypoint(runtime):
    entry = [a for k, a in runtime if k == "ENTRYPOINT"]
    try:
        command = json.loads(entry[-1]) if entry else None
    except ValueError:
        command = None
    if not isinstance(command, list) or not any(c.endswith("/catenad") for c in command):
        return ["Dockerfile: ENTRYPOINT is not an exec-form (JSON) command starting catenad"]
    return []


def check_dockerignore(text):
    if text is None:
        return [".dockerignore is missing (the build context would include .git and build trees)"]
    entries = {line.strip().lstrip("/") for line in text.splitlines()}
    return ["%s: does not exclude %s" % (".dockerignore", e) for e in (".git", "build*") if e not in entries]


def needed_libraries(binary):
    """{soname: resolved path} of the binary's direct (NEEDED) libraries, or None without objdump/ldd."""
    try:
        dump = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True, timeout=60)
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", dump.stdout, re.MULTILINE)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd.stdout, re.MULTILINE))
    # The dynamic loader (NEEDED by binaries that call into it, e.g. the static CUDA runtime) has no "=>".
    for path in re.findall(r"^\s*(/\S+) \(0x", ldd.stdout, re.MULTILINE):
        resolved.setdefault(os.path.basename(path), path)
    return {name: resolved.get(name) for name in needed}


def candidate_paths(path):
    """The path, its target and their merged-/usr twins: dpkg records whichever one the package shipped."""
    candidates = {path, os.path.realpath(path)}
    for p in list(candidates):
        candidates.add(p[4:] if p.startswith("/usr/") else "/usr" + p)
    return sorted(candidates)


def owning_packages(paths):
    """{path: package} for the paths dpkg knows, in one dpkg -S call (each call takes most of a second)."""
    result = subprocess.run(["dpkg", "-S"] + sorted(paths), capture_output=True, text=True, timeout=120)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, owned = line.partition(": ")
        for path in owned.split(", "):
            owners[path.strip()] = package.split(":")[0].split(",")[0].strip()
    return owners


def check_runtime_libraries(binaries, packages):
    """Every direct shared library of `binaries` comes from a runtime-stage package or the slim base."""
    needed = {}
    for binary in binaries:
        libraries = needed_libraries(binary)
        if libraries is None:
            return [], ["objdump/ldd unavailable: runtime library coverage not checked"]
        for name, path in libraries.items():
            needed.setdefault((name, path), []).append(os.path.basename(binary))
    problems, paths = [], set()
    for (name, path), users in sorted(needed.items()):
        if path is None or path == "not":
            problems.append("%s needs %s, which does not resolve here" % (", ".join(users), name))
        else:
            paths.update(candidate_paths(path))
    try:
        owners = owning_packages(paths)
    except OSError:
        return problems, ["dpkg unavailable: runtime library coverage not checked"]
    for (name, path), users in sorted(needed.items()):
        if path is None or path == "not":
            continue
        package = next((owners[p] for p in candidate_paths(path) if p in owners), None)
        if package is None:
            problems.append("%s: no Debian package owns %s (%s)" % (", ".join(users), name, path))
        elif package not in packages and package not in BASE_PACKAGES:
            problems.append("Dockerfile: runtime stage lacks package %s for %s (needed by %s)" %
                            (package, name, ", ".join(users)))
    return problems, []
