#!/usr/bin/env python3
"""Plays the Kubernetes API server against `bulla serve`, for the admission tests.

  admission.py review --url https://HOST:PORT --ca CA.crt < cases.json
  admission.py body --kind KIND --image IMAGE [--namespace NS]

`review` reads a JSON list of cases, {"kind", "images": [...], "namespace", "endpoint"
("validate" or "mutate"), optional "init": [...] and "ephemeral": [...] images}, builds each
workload with the official Kubernetes Python client's models (kubernetes.client.V1Pod,
V1Deployment, ...; serialized by its ApiClient as the API server serializes them), wraps it in
an admission.k8s.io/v1 AdmissionReview request shaped as the API server sends it, and POSTs it
over TLS, verifying the server's certificate against CA.crt. Cases are sent concurrently when
"concurrent" is set on them. For each case it prints, in one JSON list: the HTTP status, the
response object, the elapsed milliseconds, and, when the response carries a JSON Patch, every
container image of the object after the patch is applied with the `jsonpatch` library.

`body` prints one review body (for wrk).
"""
import argparse
import base64
import concurrent.futures
import json
import ssl
import sys
import time
import urllib.request
import uuid

import jsonpatch
from kubernetes import client

API = client.ApiClient()

# kind -> (group, version, resource)
RESOURCES = {
    "Pod": ("", "v1", "pods"),
    "ReplicationController": ("", "v1", "replicationcontrollers"),
    "Deployment": ("apps", "v1", "deployments"),
    "ReplicaSet": ("apps", "v1", "replicasets"),
    "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Job": ("batch", "v1", "jobs"),
    "CronJob": ("batch", "v1", "cronjobs"),
}


def pod_spec(case):
    containers = [client.V1Container(name=f"app-{i}", image=image, ports=[client.V1ContainerPort(container_port=8080)])
                  for i, image in enumerate(case["images"])]
    init = [client.V1Container(name=f"init-{i}", image=image) for i, image in enumerate(case.get("init", []))]
    ephemeral = [client.V1EphemeralContainer(name=f"debug-{i}", image=image) for i, image in enumerate(case.get("ephemeral", []))]
    return client.V1PodSpec(containers=containers, init_containers=init or None, ephemeral_containers=ephemeral or None,
                            restart_policy="OnFailure" if case["kind"] in ("Job", "CronJob") else None)


def workload(case):
    kind, name, namespace = case["kind"], case.get("name", "web"), case.get("namespace", "default")
    labels = {"app": name}
    meta = client.V1ObjectMeta(name=name, namespace=namespace, labels=labels)
    template = client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=pod_spec(case))
    selector = client.V1LabelSelector(match_labels=labels)
    if kind == "Pod":
        obj = client.V1Pod(api_version="v1", kind="Pod", metadata=meta, spec=pod_spec(case))
    elif kind == "Deployment":
        obj = client.V1Deployment(api_version="apps/v1", kind=kind, metadata=meta, spec=client.V1DeploymentSpec(selector=selector, template=template, replicas=2))
    elif kind == "ReplicaSet":
        obj = client.V1ReplicaSet(api_version="apps/v1", kind=kind, metadata=meta, spec=client.V1ReplicaSetSpec(selector=selector, template=template))
    elif kind == "StatefulSet":
        obj = client.V1StatefulSet(api_version="apps/v1", kind=kind, metadata=meta, spec=client.V1StatefulSetSpec(selector=selector, template=template, service_name=name))
    elif kind == "DaemonSet":
        obj = client.V1DaemonSet(api_version="apps/v1", kind=kind, metadata=meta, spec=client.V1DaemonSetSpec(selector=selector, template=template))
    elif kind == "Job":
        obj = client.V1Job(api_version="batch/v1", kind=kind, metadata=meta, spec=client.V1JobSpec(template=template))
    elif kind == "CronJob":
        job = client.V1JobTemplateSpec(spec=client.V1JobSpec(template=template))
        obj = client.V1CronJob(api_version="batch/v1", kind=kind, metadata=meta, spec=client.V1CronJobSpec(schedule="*/5 * * * *", job_template=job))
    elif kind == "ReplicationController":
        obj = client.V1ReplicationController(api_version="v1", kind=kind, metadata=meta, spec=client.V1ReplicationControllerSpec(selector=labels, template=template))
    else:
        raise SystemExit(f"unknown kind {kind}")
    return API.sanitize_for_serialization(obj)


def review(case):
    kind = case["kind"]
    group, version, resource = RESOURCES[kind]
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": resource}
    obj = workload(case)
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"]["namespace"],
            "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-client-side-apply"},
        },
    }


def images_of(obj):
    spec = obj
    path = {"Pod": ["spec"], "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"]}.get(obj["kind"], ["spec", "template", "spec"])
    for key in path:
        spec = spec[key]
    return {lst: [c["image"] for c in spec.get(lst) or []] for lst in ("containers", "initContainers", "ephemeralContainers")}


def send(url, context, case):
    body = review(case)
    data = json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/{case.get('endpoint', 'validate')}", data=data,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    elapsed = (time.monotonic() - started) * 1000
    result = {"name": case.get("case", ""), "status": status, "ms": elapsed, "uid": body["request"]["uid"]}
    try:
        parsed = json.loads(raw)
    except ValueError:
        result["text"] = raw.decode(errors="replace")
        return result
    result["review"] = parsed
    response = parsed.get("response", {})
    if "patch" in response:
        assert response.get("patchType") == "JSONPatch", response
        patch = jsonpatch.JsonPatch(json.loads(base64.b64decode(response["patch"])))
        result["patched"] = images_of(patch.apply(body["request"]["object"]))
    return result


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("review")
    r.add_argument("--url", required=True)
    r.add_argument("--ca", required=True)
    b = sub.add_parser("body")
    b.add_argument("--kind", default="Pod")
    b.add_argument("--image", action="append", required=True)
    b.add_argument("--namespace", default="default")
    args = parser.parse_args()
    if args.command == "body":
        print(json.dumps(review({"kind": args.kind, "images": args.image, "namespace": args.namespace})))
        return
    context = ssl.create_default_context(cafile=args.ca)
    cases = json.load(sys.stdin)
    results = [None] * len(cases)
    serial = [i for i, c in enumerate(cases) if not c.get("concurrent")]
    parallel = [i for i, c in enumerate(cases) if c.get("concurrent")]
    for i in serial:
        results[i] = send(args.url, context, cases[i])
    if parallel:
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(parallel)) as pool:
            for i, result in zip(parallel, pool.map(lambda i: send(args.url, context, cases[i]), parallel)):
                results[i] = result
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
