"""Structural checks of rendered Kubernetes manifests (the output of `kubectl kustomize`).

Used by check_deploy.py (the ctest entry point) and selftest.py. Every function takes parsed YAML documents and
returns problems as strings naming the object and field; an empty list means the check passed. No I/O here.
"""

GPU_RESOURCE = "nvidia.com/gpu"
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def name_of(doc):
    return "%s/%s" % (doc.get("kind", "?"), (doc.get("metadata") or {}).get("name", "?"))


def by_kind(docs, *kinds):
    return [d for d in docs if d.get("kind") in kinds]


def find(docs, kind, name):
    for doc in docs:
        if doc.get("kind") == kind and (doc.get("metadata") or {}).get("name") == name:
            return doc
    return None


def pod_spec(workload):
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_labels(workload):
    return (((workload.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def containers(workload):
    spec = pod_spec(workload)
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def selects(selector, labels):
    """True when a non-empty matchLabels-style selector matches `labels`."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def selected_workloads(docs, selector):
    return [w for w in by_kind(docs, *WORKLOAD_KINDS) if selects(selector, pod_labels(w))]


def flag_values(args, flag):
    """Values of `flag` in an argument list (`--flag v` and `--flag=v`), comma lists split."""
    values = []
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            values.extend(args[i + 1].split(","))
        elif arg.startswith(flag + "="):
            values.extend(arg[len(flag) + 1:].split(","))
    return values


def check_object_shapes(docs):
    problems, seen = [], set()
    for i, doc in enumerate(docs):
        for field in ("apiVersion", "kind"):
            if not doc.get(field):
                problems.append("document %d has no %s" % (i, field))
        if not (doc.get("metadata") or {}).get("name"):
            problems.append("document %d (%s) has no metadata.name" % (i, doc.get("kind")))
        key = (doc.get("kind"), (doc.get("metadata") or {}).get("name"))
        if key in seen:
            problems.append("%s appears twice" % name_of(doc))
        seen.add(key)
    return problems


def check_selectors(workload):
    selector = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not selects(selector, pod_labels(workload)):
        return ["%s: spec.selector.matchLabels %s does not match its pod labels %s" %
                (name_of(workload), selector, pod_labels(workload))]
    return []


def check_pod_security(workload, uid, gid):
    problems, where = [], name_of(workload)
    security = pod_spec(workload).get("securityContext") or {}
    if security.get("runAsNonRoot") is not True:
        problems.append("%s: pod securityContext.runAsNonRoot is not true" % where)
    if security.get("runAsUser") in (None, 0) or (uid is not None and security.get("runAsUser") != uid):
        problems.append("%s: pod securityContext.runAsUser is %r, expected the image's user %r" %
                        (where, security.get("runAsUser"), uid))
    if gid is not None and security.get("fsGroup") != gid:
        problems.append("%s: pod securityContext.fsGroup is %r, expected the image's group %r" %
                        (where, security.get("fsGroup"), gid))
    for container in containers(workload):
        c_where = "%s container %s" % (where, container.get("name"))
        sc = container.get("securityContext") or {}
        if sc.get("runAsNonRoot") is False or sc.get("runAsUser") == 0:
            problems.append("%s: securityContext runs as root" % c_where)
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append("%s: securityContext.readOnlyRootFilesystem is not true" % c_where)
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append("%s: securityContext.allowPrivilegeEscalation is not false" % c_where)
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
            problems.append("%s: capabilities must drop ALL and add none, got %s" % (c_where, caps))
        if sc.get("privileged"):
            problems.append("%s: privileged" % c_where)
    return problems


def check_resources(workload):
    problems = []
    for container in containers(workload):
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(section) or {}):
                    problems.append("%s container %s: resources.%s.%s is missing" %
                                    (name_of(workload), container.get("name"), section, resource))
    return problems


def container_port(container, port):
    """The containerPort a probe/Service port (number or name) refers to, or None."""
    for p in container.get("ports") or []:
        if port in (p.get("name"), p.get("containerPort")):
            return p.get("containerPort")
    return None


def check_probes(workload, service_names):
    """gRPC liveness and readiness probes on the container's grpc port, on a grpc.health.v1 service name that
    catenad registers; readiness names the service the container's --service selects."""
    problems, where = [], name_of(workload)
    known = set(service_names.values()) | {"catena.v1.ServerService", ""}
    for container in pod_spec(workload).get("containers") or []:
        c_where = "%s container %s" % (where, container.get("name"))
        selected = flag_values(container.get("args") or [], "--service")
        for kind in ("livenessProbe", "readinessProbe"):
            probe = container.get(kind)
            if not probe:
                problems.append("%s: no %s" % (c_where, kind))
                continue
            grpc = probe.get("grpc")
            if not grpc:
                problems.append("%s: %s is not a grpc.health.v1 probe" % (c_where, kind))
                continue
            if container_port(container, grpc.get("port")) != container_port(container, "grpc"):
                problems.append("%s: %s port %s is not the container port named grpc" % (c_where, kind,
                                                                                          grpc.get("port")))
            if grpc.get("service", "") not in known:
                problems.append("%s: %s service %r is not a service catenad registers" % (c_where, kind,
                                                                                          grpc.get("service")))
        readiness = ((container.get("readinessProbe") or {}).get("grpc") or {}).get("service")
        wanted = [service_names[s] for s in selected if s in service_names]
        if readiness is not None and "all" not in selected and readiness not in wanted:
            problems.append("%s: readiness probes %r but the container runs %s" % (c_where, readiness, selected))
        for name in selected:
            if name != "all" and name not in service_names:
                problems.append("%s: --service %s is not one of %s" % (c_where, name, sorted(service_names)))
    return problems


def check_references(docs, workload):
    """ConfigMaps, Secrets, PVCs and the service account a pod refers to exist; mounts name real volumes."""
    problems, where = [], name_of(workload)
    spec = pod_spec(workload)
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    claims = {(c.get("metadata") or {}).get("name") for c in (workload.get("spec") or {}).get(
        "volumeClaimTemplates") or []}

    def need(kind, name, what, optional=False):
        if not optional and find(docs, kind, name) is None:
            problems.append("%s: %s refers to %s/%s, which the overlay does not define" % (where, what, kind, name))

    for name, volume in volumes.items():
        if "configMap" in volume:
            need("ConfigMap", volume["configMap"].get("name"), "volume " + name, volume["configMap"].get("optional"))
        if "secret" in volume:
            need("Secret", volume["secret"].get("secretName"), "volume " + name, volume["secret"].get("optional"))
        if "persistentVolumeClaim" in volume:
            need("PersistentVolumeClaim", volume["persistentVolumeClaim"].get("claimName"), "volume " + name)
    for container in containers(workload):
        for mount in container.get("volumeMounts") or []:
            if mount.get("name") not in volumes and mount.get("name") not in claims:
                problems.append("%s container %s: volumeMount %s names no volume or claim template" %
                                (where, container.get("name"), mount.get("name")))
        for env in container.get("env") or []:
            source = env.get("valueFrom") or {}
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if key in source:
                    need(kind, source[key].get("name"), "env " + env.get("name", "?"), source[key].get("optional"))
        for env_from in container.get("envFrom") or []:
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in env_from:
                    need(kind, env_from[key].get("name"), "envFrom", env_from[key].get("optional"))
    if spec.get("serviceAccountName"):
        need("ServiceAccount", spec["serviceAccountName"], "serviceAccountName")
    return problems


def check_images(docs):
    images = {c.get("image") for w in by_kind(docs, *WORKLOAD_KINDS) for c in containers(w)}
    problems = []
    if len(images) != 1:
        problems.append("containers use %d different images %s; expected one catenad image" %
                        (len(images), sorted(map(str, images))))
    for image in images:
        tag = (image or "").rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            problems.append("image %r has no pinned tag" % image)
    return problems


def check_statefulset(docs, workload):
    problems, where = [], name_of(workload)
    spec = workload.get("spec") or {}
    templates = spec.get("volumeClaimTemplates") or []
    if not templates:
        problems.append("%s: no volumeClaimTemplates" % where)
    mounted = {m.get("name") for c in containers(workload) for m in c.get("volumeMounts") or []}
    for template in templates:
        name = (template.get("metadata") or {}).get("name")
        if name not in mounted:
            problems.append("%s: claim template %s is not mounted" % (where, name))
        if not (((template.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage"):
            problems.append("%s: claim template %s requests no storage" % (where, name))
    service = find(docs, "Service", spec.get("serviceName"))
    if service is None:
        problems.append("%s: serviceName %r is not a Service of the overlay" % (where, spec.get("serviceName")))
    elif (service.get("spec") or {}).get("clusterIP") != "None":
        problems.append("%s: governing Service %s is not headless (clusterIP: None)" % (where, name_of(service)))
    elif not selects((service.get("spec") or {}).get("selector"), pod_labels(workload)):
        problems.append("%s: governing Service %s does not select its pods" % (where, name_of(service)))
    return problems


def check_services(docs):
    problems = []
    for service in by_kind(docs, "Service"):
        selector = (service.get("spec") or {}).get("selector") or {}
        matched = selected_workloads(docs, selector)
        if not matched:
            problems.append("%s: selector %s matches no Deployment/StatefulSet pods" % (name_of(service), selector))
        for port in (service.get("spec") or {}).get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            for workload in matched:
                if not any(container_port(c, target) for c in pod_spec(workload).get("containers") or []):
                    problems.append("%s: port %s targets %r, which %s does not expose" %
                                    (name_of(service), port.get("name"), target, name_of(workload)))
    return problems


def check_pdbs(docs):
    problems = []
    for pdb in by_kind(docs, "PodDisruptionBudget"):
        spec = pdb.get("spec") or {}
        matched = selected_workloads(docs, (spec.get("selector") or {}).get("matchLabels"))
        if len(matched) != 1:
            problems.append("%s: selector matches %d workloads, expected exactly one" % (name_of(pdb), len(matched)))
        if "minAvailable" not in spec and "maxUnavailable" not in spec:
            problems.append("%s: neither minAvailable nor maxUnavailable" % name_of(pdb))
    return problems


def check_hpas(docs, metric_names):
    """Targets exist and leave spec.replicas to the HPA; CPU targets request CPU; custom metrics are real
    catenad metric names."""
    problems = []
    for hpa in by_kind(docs, "HorizontalPodAutoscaler"):
        where, spec = name_of(hpa), hpa.get("spec") or {}
        if hpa.get("apiVersion") != "autoscaling/v2":
            problems.append("%s: apiVersion %s, expected autoscaling/v2" % (where, hpa.get("apiVersion")))
        ref = spec.get("scaleTargetRef") or {}
        target = find(docs, ref.get("kind"), ref.get("name"))
        if target is None:
            problems.append("%s: scaleTargetRef %s/%s does not exist" % (where, ref.get("kind"), ref.get("name")))
            continue
        if "replicas" in (target.get("spec") or {}):
            problems.append("%s: %s sets spec.replicas, which re-applying would reset under the HPA" %
                            (where, name_of(target)))
        for metric in spec.get("metrics") or []:
            kind = metric.get("type")
            if kind == "Resource" and (metric.get("resource") or {}).get("name") == "cpu":
                for c in pod_spec(target).get("containers") or []:
                    if "cpu" not in ((c.get("resources") or {}).get("requests") or {}):
                        problems.append("%s: CPU utilization needs a CPU request on %s" % (where, name_of(target)))
            elif kind in ("Pods", "External"):
                name = ((metric.get(kind.lower()) or {}).get("metric") or {}).get("name")
                if name not in metric_names:
                    problems.append("%s: metric %r is not one catenad exports (%s)" %
                                    (where, name, ", ".join(sorted(metric_names))))
    return problems


def check_network_policies(docs):
    problems, policies = [], by_kind(docs, "NetworkPolicy")
    if not policies:
        return ["no NetworkPolicy"]
    for workload in by_kind(docs, *WORKLOAD_KINDS):
        if not any(selects(((p.get("spec") or {}).get("podSelector") or {}).get("matchLabels"), pod_labels(workload))
                   for p in policies):
            problems.append("%s: no NetworkPolicy selects its pods" % name_of(workload))
    return problems


def check_gpu(workload):
    """A GPU workload requests and limits nvidia.com/gpu, selects GPU nodes and tolerates their taint."""
    problems, where, spec = [], name_of(workload), pod_spec(workload)
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            if int((resources.get(section) or {}).get(GPU_RESOURCE, 0)) < 1:
                problems.append("%s: resources.%s has no %s" % (where, section, GPU_RESOURCE))
    if not spec.get("nodeSelector") and not (spec.get("affinity") or {}).get("nodeAffinity"):
        problems.append("%s: no nodeSelector or nodeAffinity for GPU nodes" % where)
    if not any(t.get("key") == GPU_RESOURCE for t in spec.get("tolerations") or []):
        problems.append("%s: no toleration for the %s taint" % (where, GPU_RESOURCE))
    return problems


def check_workloads(docs, service_names, uid, gid):
    problems = []
    for workload in by_kind(docs, *WORKLOAD_KINDS):
        problems += check_selectors(workload)
        problems += check_pod_security(workload, uid, gid)
        problems += check_resources(workload)
        problems += check_probes(workload, service_names)
        problems += check_references(docs, workload)
        if workload.get("kind") == "StatefulSet":
            problems += check_statefulset(docs, workload)
    return problems


def check_all(docs, service_names, metric_names, uid, gid):
    """Every overlay-independent check."""
    return (check_object_shapes(docs) + check_workloads(docs, service_names, uid, gid) + check_images(docs) +
            check_services(docs) + check_pdbs(docs) + check_hpas(docs, metric_names) + check_network_policies(docs))
