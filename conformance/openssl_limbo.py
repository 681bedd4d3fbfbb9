#!/usr/bin/env python3
"""OpenSSL's figures on x509-limbo-format cases, for docs/CONFORMANCE.md.

Runs `openssl verify` on every case of a limbo test file (read from stdin), the way
`mtls limbo` runs the mtls validator, and skips the same cases `mtls limbo` skips (certificate
policies, policy constraints, the Public Suffix List and CA/Browser Forum EKU profiles, and
signature-algorithm or EKU restrictions), so both figures cover the same cases:

    python3 conformance/openssl_limbo.py < ../shared/conformance/limbo-core.json

Per case: `openssl verify -x509_strict -partial_chain` (limbo's trusted certificates are trust
anchors whether self-signed or not) with `-CAfile` (trusted), `-untrusted` (the
intermediates), `-attime` (the validation time), `-purpose sslserver|sslclient`,
`-verify_depth` (max_chain_depth), `-crl_check_all -CRLfile` (when the case has CRLs), and one
`-verify_hostname` / `-verify_ip` / `-verify_email` per expected peer name (a case with several
names is verified once per name; all must succeed). Exit status 0 is SUCCESS.

Prints the harness JSON (`{"version": 1, "harness": "openssl", "results": [...]}`) on stdout
and `N passed, N failed, N skipped` on stderr. Needs only the openssl CLI and Python 3.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile

# The features `mtls limbo` does not implement (examples/src/limbo.rs UNSUPPORTED_FEATURES).
SKIPPED_FEATURES = {
    "has-cert-policies",
    "has-policy-constraints",
    "pedantic-public-suffix-wildcard",
    "pedantic-webpki-eku",
}


def epoch(text):
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(t.timestamp())


def write(directory, name, pems):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="ascii") as f:
        for pem in pems:
            f.write(pem if pem.endswith("\n") else pem + "\n")
    return path


def skip_reason(case):
    for feature in case.get("features") or []:
        if feature in SKIPPED_FEATURES:
            return f"{feature}: not implemented by mtls either"
    if case.get("signature_algorithms"):
        return "signature algorithm restrictions are not expressible"
    wanted = "serverAuth" if case["validation_kind"] == "SERVER" else "clientAuth"
    if any(e != wanted for e in case.get("extended_key_usage") or []):
        return "EKU differs from the purpose's"
    if case["validation_kind"] not in ("SERVER", "CLIENT"):
        return f"validation kind {case['validation_kind']}"
    return None


def name_flags(case):
    names = []
    if case.get("expected_peer_name"):
        names.append(case["expected_peer_name"])
    names.extend(case.get("expected_peer_names") or [])
    flags = []
    for n in names:
        option = {"DNS": "-verify_hostname", "IP": "-verify_ip", "RFC822": "-verify_email"}
        if n["kind"] not in option:
            return None
        flags.append([option[n["kind"]], n["value"]])
    return flags or [[]]


def run_case(case, directory):
    reason = skip_reason(case)
    if reason:
        return "SKIPPED", reason
    names = name_flags(case)
    if names is None:
        return "SKIPPED", "peer name kind unsupported"
    base = ["openssl", "verify", "-x509_strict", "-partial_chain"]
    base += ["-CAfile", write(directory, "trusted.pem", case["trusted_certs"])]
    if case["untrusted_intermediates"]:
        base += ["-untrusted", write(directory, "untrusted.pem", case["untrusted_intermediates"])]
    if case.get("validation_time"):
        base += ["-attime", str(epoch(case["validation_time"]))]
    base += ["-purpose", "sslserver" if case["validation_kind"] == "SERVER" else "sslclient"]
    if case.get("max_chain_depth") is not None:
        base += ["-verify_depth", str(case["max_chain_depth"])]
    if case.get("crls"):
        base += ["-crl_check_all", "-CRLfile", write(directory, "crls.pem", case["crls"])]
    leaf = write(directory, "leaf.pem", [case["peer_certificate"]])
    for flags in names:
        out = subprocess.run(base + flags + [leaf], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            lines = (out.stdout + out.stderr).strip().splitlines()
            return "FAILURE", " / ".join(lines[-2:])
    return "SUCCESS", "OK"


def main():
    suite = json.load(sys.stdin)
    results = []
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory() as directory:
        for case in suite["testcases"]:
            actual, context = run_case(case, directory)
            if actual == "SKIPPED":
                skipped += 1
            elif actual == case["expected_result"]:
                passed += 1
            else:
                failed += 1
            results.append({"id": case["id"], "actual_result": actual, "context": context})
    json.dump({"version": 1, "harness": "openssl", "results": results}, sys.stdout)
    print()
    print(f"{passed} passed, {failed} failed, {skipped} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
