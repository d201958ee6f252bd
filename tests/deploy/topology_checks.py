"""What each overlay of deploy/k8s must contain: one all-in-one StatefulSet (single-node), or one workload per
catenad service with the right kind, GPU placement, PDBs, HPAs and service addresses (distributed).

Used by check_deploy.py and selftest.py; pure functions over parsed documents returning problem strings.
"""

from manifest_checks import (WORKLOAD_KINDS, by_kind, check_gpu, find, flag_values, name_of, pod_labels,
                             pod_spec, selects)

COMPONENT_LABEL = "app.kubernetes.io/component"
QUEUE_METRIC = "catena_inference_requests_waiting"

# Distributed overlay: component label -> (kind, the --service it runs).
DISTRIBUTED = {
    "inference": ("Deployment", "inference"),
    "embedding": ("Deployment", "embedding"),
    "pipeline": ("Deployment", "pipeline"),
    "gateway": ("Deployment", "pipeline"),
    "retrieval": ("StatefulSet", "retrieval"),
    "memory": ("StatefulSet", "memory"),
}


def component_of(workload):
    return pod_labels(workload).get(COMPONENT_LABEL)


def services_run(workload):
    return [s for c in pod_spec(workload).get("containers") or [] for s in flag_values(c.get("args") or [], "--service")]


def check_single_node(docs):
    workloads = by_kind(docs, *WORKLOAD_KINDS)
    if len(workloads) != 1 or workloads[0].get("kind") != "StatefulSet":
        return ["single-node: expected exactly one StatefulSet, got %s" % [name_of(w) for w in workloads]]
    problems = []
    workload = workloads[0]
    if services_run(workload) != ["all"]:
        problems.append("single-node: %s runs %s, expected --service all" % (name_of(workload), services_run(workload)))
    if (workload.get("spec") or {}).get("replicas", 1) != 1:
        problems.append("single-node: %s must have one replica (its RocksDB data is not shared)" % name_of(workload))
    return problems


def check_distributed(docs, service_names):
    problems, workloads = [], by_kind(docs, *WORKLOAD_KINDS)
    by_component = {component_of(w): w for w in workloads}
    for component, (kind, service) in DISTRIBUTED.items():
        workload = by_component.get(component)
        if workload is None:
            problems.append("distributed: no workload with %s=%s" % (COMPONENT_LABEL, component))
            continue
        if workload.get("kind") != kind:
            problems.append("distributed: %s is a %s, expected a %s" % (name_of(workload), workload.get("kind"), kind))
        if services_run(workload) != [service]:
            problems.append("distributed: %s runs %s, expected --service %s" % (name_of(workload),
                                                                                 services_run(workload), service))
        if not any(selects((p.get("spec") or {}).get("selector", {}).get("matchLabels"), pod_labels(workload))
                   for p in by_kind(docs, "PodDisruptionBudget")):
            problems.append("distributed: no PodDisruptionBudget covers %s" % name_of(workload))
    for name in service_names:
        if not any(services_run(w) == [name] for w in workloads):
            problems.append("distributed: no workload runs catenad service %s alone" % name)
    if "inference" in by_component:
        problems += check_gpu(by_component["inference"])
    problems += check_distributed_hpas(docs)
    return problems


def check_distributed_hpas(docs):
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    metrics = [m for h in hpas for m in (h.get("spec") or {}).get("metrics") or []]
    problems = []
    if not any(m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu" for m in metrics):
        problems.append("distributed: no HPA scales on CPU")
    queue = [h for h in hpas for m in (h.get("spec") or {}).get("metrics") or []
             if ((m.get("pods") or m.get("external") or {}).get("metric") or {}).get("name") == QUEUE_METRIC]
    if not queue:
        problems.append("distributed: no HPA scales on the queue depth %s" % QUEUE_METRIC)
    for hpa in queue:
        target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        workload = find(docs, target.get("kind"), target.get("name"))
        if workload is not None and component_of(workload) != "inference":
            problems.append("%s: queue-depth HPA targets %s, not inference" % (name_of(hpa), name_of(workload)))
    for hpa in hpas:
        target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if target.get("kind") == "StatefulSet":
            problems.append("%s: scales StatefulSet %s, whose data is per pod" % (name_of(hpa), target.get("name")))
    return problems


def check_service_addresses(docs, config, needed, where):
    """services.<name>.address in a pipeline pod's config names, for each needed service, a Service of the
    overlay on its grpc port that selects the pods running that service."""
    problems = []
    services = (config or {}).get("services") or {}
    for name in needed:
        address = ((services.get(name) or {}).get("address") or "")
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            problems.append("%s: services.%s.address is %r, expected <service>:<port>" % (where, name, address))
            continue
        service = find(docs, "Service", host.split(".")[0])
        if service is None:
            problems.append("%s: services.%s.address host %s is not a Service of the overlay" % (where, name, host))
            continue
        ports = {p.get("port"): p for p in (service.get("spec") or {}).get("ports") or []}
        if int(port) not in ports or ports[int(port)].get("targetPort") not in ("grpc", 50051):
            problems.append("%s: services.%s.address port %s is not the grpc port of %s" % (where, name, port,
                                                                                          name_of(service)))
        selector = (service.get("spec") or {}).get("selector")
        runners = [w for w in by_kind(docs, *WORKLOAD_KINDS) if selects(selector, pod_labels(w))]
        if not runners or any(services_run(w) != [name] for w in runners):
            problems.append("%s: services.%s.address %s reaches %s, not pods running --service %s" %
                            (where, name, address, [name_of(w) for w in runners], name))
    return problems
