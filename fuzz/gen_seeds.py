#!/usr/bin/env python3
"""Writes the hand-made fuzz seeds: valid (and a few deliberately refused) inputs of every
format a fuzz target reads, into fuzz/seeds/<target>/hand-*.

Also writes fuzz/fixtures/ocsp-ca.pem and fuzz/fixtures/ocsp-leaf.pem, which the
`ocsp_response` target embeds, so that the OCSP seeds carry signatures that verify and the
fuzzer starts past the signature check (CertID, freshness, nonce, delegated responders).

Every key is generated in memory and thrown away: no private key is ever written. Running it
again therefore replaces the fixtures and every hand seed (rebuild the ocsp_response target).
The fuzzer-found seeds (files named by their SHA-1) are left alone.

Needs Python 3 with `cryptography` (>= 42). Usage: python3 fuzz/gen_seeds.py
"""

import base64
import datetime as dt
import hashlib
import ipaddress
import pathlib
import re
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

FUZZ = pathlib.Path(__file__).resolve().parent
SEEDS = FUZZ / "seeds"
FIXTURES = FUZZ / "fixtures"

# The ocsp_response target verifies at 1_800_000_000 (2027-01-15T08:00:00Z).
AT = dt.datetime.fromtimestamp(1_800_000_000, dt.timezone.utc)
NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(2126, 1, 1, tzinfo=dt.timezone.utc)


def name(*pairs):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def ski(key):
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def aki(issuer_key):
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def cert(subject, key, issuer=None, issuer_key=None, serial=None, ca=False, pathlen=None,
         extra=(), hash_alg=hashes.SHA256()):
    """One certificate; self-signed when no issuer. `extra` is (extension, critical) pairs."""
    issuer_name = issuer.subject if issuer is not None else subject
    signer = issuer_key if issuer_key is not None else key
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen if ca else None), True)
        .add_extension(ski(key), False)
        .add_extension(aki(signer), False)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
    else:
        b = b.add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), True
        )
    for ext, critical in extra:
        b = b.add_extension(ext, critical)
    alg = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hash_alg
    return b.sign(signer, alg)


def der(c):
    return c.public_bytes(serialization.Encoding.DER)


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def write(target, label, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"hand-{label}").write_bytes(data)


def main():
    for d in SEEDS.glob("*"):
        for f in d.glob("hand-*"):
            f.unlink()

    # --- A small PKI: root, intermediate, leaves of every key type and shape ---
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = cert(name((NameOID.COMMON_NAME, "Fuzz Root CA"), (NameOID.ORGANIZATION_NAME, "Fuzz")),
                root_key, ca=True, hash_alg=hashes.SHA384())
    int_key = ec.generate_private_key(ec.SECP256R1())
    intermediate = cert(
        name((NameOID.COMMON_NAME, "Fuzz Intermediate CA"), (NameOID.ORGANIZATION_NAME, "Fuzz")),
        int_key, root, root_key, ca=True, pathlen=0, hash_alg=hashes.SHA384(),
        extra=[(x509.NameConstraints(
            permitted_subtrees=[x509.DNSName("example.com"), x509.DNSName("example.test")],
            excluded_subtrees=[x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))]), True)])

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_ext = [
        (x509.SubjectAlternativeName([
            x509.DNSName("client.example.com"),
            x509.DNSName("*.api.example.com"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::7")),
            x509.RFC822Name("client@example.com"),
            x509.UniformResourceIdentifier("spiffe://example.com/ns/default/sa/client"),
        ]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example.com/int.crl")], None, None, None)]),
         False),
        (x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.example.com")),
            x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://ca.example.com/int.der")),
        ]), False),
        (x509.CertificatePolicies([x509.PolicyInformation(
            x509.ObjectIdentifier("2.23.140.1.2.1"), ["https://example.com/cps"])]), False),
    ]
    leaf = cert(
        name((NameOID.COUNTRY_NAME, "US"), (NameOID.ORGANIZATION_NAME, "Fuzz"),
             (NameOID.ORGANIZATIONAL_UNIT_NAME, "Clients"), (NameOID.COMMON_NAME, "fuzz-client")),
        leaf_key, intermediate, int_key, extra=leaf_ext)

    # An RSA leaf whose DN needs every RFC 4514 escape, multi-valued RDN and Unicode.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tricky_dn = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Müller, Söhne & Co"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "R+D"),
        ]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "a@example.com")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(
            NameOID.COMMON_NAME, ' #lead "q" \\b <x>;y=z,Cert="evil" trail ')]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.SERIAL_NUMBER, "0001")]),
    ])
    rsa_leaf = cert(tricky_dn, rsa_key, intermediate, int_key, serial=(1 << 159) - 1,
                    extra=[(x509.SubjectAlternativeName([
                        x509.DNSName("rsa.example.com"),
                        x509.DirectoryName(name((NameOID.COMMON_NAME, "dir name"))),
                        x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
                        x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"),
                                       b"\x0c\x0fupn@example.com"),
                    ]), True)])

    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_leaf = cert(name((NameOID.COMMON_NAME, "ed25519 client")), ed_key, root, root_key,
                   serial=1)
    # A leaf signed with Ed25519 by an Ed25519 CA.
    ed_ca = cert(name((NameOID.COMMON_NAME, "Ed25519 CA")), ed_key, ca=True)
    self_signed = cert(name((NameOID.COMMON_NAME, "self-signed.example.com")),
                       ec.generate_private_key(ec.SECP256R1()), serial=2,
                       extra=[(x509.SubjectAlternativeName(
                           [x509.DNSName("self-signed.example.com")]), False)])

    chain = [leaf, intermediate, root]
    chain_pem = b"".join(pem(c) for c in chain)

    # --- der_parse / pem_parse ---
    for label, c in [("ec-leaf", leaf), ("rsa-tricky-dn", rsa_leaf), ("ed25519-leaf", ed_leaf),
                     ("intermediate-ca", intermediate), ("root-ca", root), ("ed25519-ca", ed_ca),
                     ("self-signed", self_signed)]:
        write("der_parse", f"{label}.der", der(c))
    write("pem_parse", "ec-leaf.pem", pem(leaf))
    write("pem_parse", "rsa-tricky-dn.pem", pem(rsa_leaf))
    write("pem_parse", "chain.pem", chain_pem)
    write("pem_parse", "chain-crlf.pem", chain_pem.replace(b"\n", b"\r\n"))
    write("pem_parse", "text-around.pem",
          b"subject=CN = fuzz-client\n" + pem(leaf) + b"trailing text\n" + pem(ed_leaf))
    write("pem_parse", "no-final-newline.pem", pem(ed_leaf).rstrip(b"\n"))
    write("pem_parse", "ec-leaf.der", der(leaf))
    write("pem_parse", "crl-label.pem", pem(leaf).replace(b"CERTIFICATE", b"X509 CRL"))

    # --- Header formats ---
    leaf_b64 = base64.b64encode(der(leaf)).decode()
    int_b64 = base64.b64encode(der(intermediate)).decode()
    root_b64 = base64.b64encode(der(root)).decode()
    rsa_b64 = base64.b64encode(der(rsa_leaf)).decode()

    write("header_base64_encoded", "leaf", leaf_b64)
    write("header_base64_encoded", "leaf-haproxy-quoted", f'"{leaf_b64}"')
    write("header_base64_encoded", "rsa-leaf", rsa_b64)
    write("header_base64_encoded", "ca-refused", int_b64)
    write("header_base64_encoded", "empty-quotes", '""')

    write("header_base64_der_list", "leaf", leaf_b64)
    write("header_base64_der_list", "leaf-int", f"{leaf_b64},{int_b64}")
    write("header_base64_der_list", "leaf-int-root", f"{leaf_b64},{int_b64},{root_b64}")
    write("header_base64_der_list", "reversed-refused", f"{int_b64},{leaf_b64}")

    def space_joined(certs, sep=" "):
        return sep.join(sep.join(pem(c).decode().strip().split("\n")) for c in certs)

    write("header_pem_space_joined", "leaf", space_joined([leaf]))
    write("header_pem_space_joined", "leaf-int", space_joined([leaf, intermediate]))
    write("header_pem_space_joined", "rsa-tabs", space_joined([rsa_leaf], "\t "))
    write("header_pem_space_joined", "apache-null", "(null)")

    leaf_pem = pem(leaf).decode()
    write("header_url_encoded", "nginx-leaf", urllib.parse.quote(leaf_pem, safe=""))
    write("header_url_encoded", "alb-chain",
          urllib.parse.quote(chain_pem.decode(), safe="+=/"))
    write("header_url_encoded", "crlf-lowercase-hex",
          re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(),
                 urllib.parse.quote(pem(rsa_leaf).decode().replace("\n", "\r\n"), safe="")))
    write("header_url_encoded", "double-encoded-refused",
          urllib.parse.quote(urllib.parse.quote(leaf_pem, safe=""), safe=""))

    # rfc9440 target input: Client-Cert value, NUL, Client-Cert-Chain lines split on \n.
    write("header_rfc9440", "leaf", f":{leaf_b64}:")
    write("header_rfc9440", "leaf-chain", f":{leaf_b64}:\0:{int_b64}:, :{root_b64}:")
    write("header_rfc9440", "params-two-lines",
          f":{leaf_b64}:;sf=1;x=?0\0:{leaf_b64}:;a=1\n:{int_b64}:")
    write("header_rfc9440", "no-padding", ":" + leaf_b64.rstrip("=") + ":")

    def envoy(certs):
        out = []
        for c in certs:
            for ch in pem(c).decode():
                out.append({"\n": "%0A", " ": "%20", "+": "%2B", "/": "%2F", "=": "%3D"}
                           .get(ch, ch))
        return "".join(out)

    h = hashlib.sha256(der(leaf)).hexdigest()
    by = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    element = f'By={by};Hash={h};Cert="{envoy([leaf])}"'
    write("header_xfcc", "envoy-cert", element)
    write("header_xfcc", "envoy-full",
          f'{element};Chain="{envoy([leaf, intermediate])}";'
          f'Subject="CN=fuzz-client,OU=Clients,O=Fuzz,C=US";URI=spiffe://example.com/c;'
          f"DNS=a.example;DNS=b.example")
    write("header_xfcc", "two-hops-two-lines",
          f"By=spiffe://a;Hash={'0' * 64};Subject=\"CN=first\"\n "
          f"Hash={h.upper()};Chain={envoy([leaf, intermediate])}")
    write("header_xfcc", "quoted-escapes",
          f'Hash={h};Subject="CN=\\"x\\"\\\\,O=y\\,z;Cert=q";Cert="{envoy([leaf])}"')

    # --- crl_parse: CRLs from the intermediate ---
    def crl(entries, extra=(), next_update=True, number=1):
        b = (x509.CertificateRevocationListBuilder()
             .issuer_name(intermediate.subject)
             .last_update(dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)))
        if next_update:
            b = b.next_update(dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc))
        if number is not None:
            b = b.add_extension(x509.CRLNumber(number), False)
        b = b.add_extension(aki(int_key), False)
        for ext, critical in extra:
            b = b.add_extension(ext, critical)
        for serial, reason, invalidity in entries:
            r = (x509.RevokedCertificateBuilder().serial_number(serial)
                 .revocation_date(dt.datetime(2026, 12, 24, tzinfo=dt.timezone.utc)))
            if reason is not None:
                r = r.add_extension(x509.CRLReason(reason), False)
            if invalidity is not None:
                r = r.add_extension(x509.InvalidityDate(invalidity), False)
            b = b.add_revoked_certificate(r.build())
        return b.sign(int_key, hashes.SHA256())

    def crl_der(c):
        return c.public_bytes(serialization.Encoding.DER)

    def crl_pem(c):
        return c.public_bytes(serialization.Encoding.PEM)

    empty = crl([])
    full = crl([
        (leaf.serial_number, x509.ReasonFlags.key_compromise,
         dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)),
        (0x1234, x509.ReasonFlags.certificate_hold, None),
        (1, None, None),
        ((1 << 159) - 1, x509.ReasonFlags.remove_from_crl, None),
    ], number=(1 << 100))
    idp = crl([(7, x509.ReasonFlags.superseded, None)], extra=[(x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier("http://crl.example.com/int.crl")],
        relative_name=None, only_contains_user_certs=True, only_contains_ca_certs=False,
        only_some_reasons=None, indirect_crl=False, only_contains_attribute_certs=False), True)])
    delta = crl([(8, None, None)], extra=[(x509.DeltaCRLIndicator(1), True)], number=2)
    write("crl_parse", "empty.der", crl_der(empty))
    write("crl_parse", "entries.der", crl_der(full))
    write("crl_parse", "idp.der", crl_der(idp))
    write("crl_parse", "delta-refused.der", crl_der(delta))
    write("crl_parse", "two.pem", crl_pem(empty) + crl_pem(full))

    # --- ocsp_response: a CA and its leaf (serial 0x1234) embedded in the target ---
    ocsp_ca_key = ec.generate_private_key(ec.SECP256R1())
    ocsp_ca = cert(name((NameOID.COMMON_NAME, "Fuzz OCSP CA")), ocsp_ca_key, ca=True)
    ocsp_leaf = cert(name((NameOID.COMMON_NAME, "fuzz-client")),
                     ec.generate_private_key(ec.SECP256R1()), ocsp_ca, ocsp_ca_key,
                     serial=0x1234)
    FIXTURES.mkdir(exist_ok=True)
    (FIXTURES / "ocsp-ca.pem").write_bytes(pem(ocsp_ca))
    (FIXTURES / "ocsp-leaf.pem").write_bytes(pem(ocsp_leaf))

    responder_key = ec.generate_private_key(ec.SECP256R1())
    responder = cert(name((NameOID.COMMON_NAME, "Fuzz OCSP responder")), responder_key,
                     ocsp_ca, ocsp_ca_key,
                     extra=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), False),
                            (x509.OCSPNoCheck(), False)])
    not_responder = cert(name((NameOID.COMMON_NAME, "Not a responder")), responder_key,
                         ocsp_ca, ocsp_ca_key)

    def response(status=ocsp.OCSPCertStatus.GOOD, signer=(ocsp_ca, ocsp_ca_key),
                 by_hash=False, nonce=None, certs=None, this=dt.datetime(2027, 1, 1),
                 nxt=dt.datetime(2027, 2, 1), cert_id_hash=hashes.SHA1(),
                 revocation_reason=None):
        rev_time = dt.datetime(2026, 12, 24) if status == ocsp.OCSPCertStatus.REVOKED else None
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=ocsp_leaf, issuer=ocsp_ca, algorithm=cert_id_hash, cert_status=status,
            this_update=this.replace(tzinfo=dt.timezone.utc),
            next_update=nxt.replace(tzinfo=dt.timezone.utc) if nxt else None,
            revocation_time=rev_time.replace(tzinfo=dt.timezone.utc) if rev_time else None,
            revocation_reason=revocation_reason)
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH if by_hash
                           else ocsp.OCSPResponderEncoding.NAME, signer[0])
        if certs:
            b = b.certificates(certs)
        if nonce is not None:
            b = b.add_extension(x509.OCSPNonce(nonce), False)
        return b.sign(signer[1], hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    write("ocsp_response", "good", response())
    write("ocsp_response", "good-nonce", response(nonce=b"nonce"))
    write("ocsp_response", "good-by-key-sha256-certid",
          response(by_hash=True, cert_id_hash=hashes.SHA256(), nxt=None))
    write("ocsp_response", "revoked",
          response(ocsp.OCSPCertStatus.REVOKED, revocation_reason=x509.ReasonFlags.key_compromise))
    write("ocsp_response", "unknown", response(ocsp.OCSPCertStatus.UNKNOWN))
    write("ocsp_response", "delegated",
          response(signer=(responder, responder_key), certs=[responder], nonce=b"nonce"))
    write("ocsp_response", "delegated-no-eku",
          response(signer=(not_responder, responder_key), certs=[not_responder]))
    write("ocsp_response", "wrong-nonce", response(nonce=b"other"))
    write("ocsp_response", "stale", response(nxt=dt.datetime(2027, 1, 10)))
    write("ocsp_response", "not-yet-valid", response(this=dt.datetime(2027, 2, 1), nxt=None))
    write("ocsp_response", "try-later", b"\x30\x03\x0a\x01\x03")

    # --- sni_map: patterns, NUL, server names ---
    write("sni_map", "kong-rules",
          "example.com\n*.example.com\nexample.*\nAPI.Example.COM.\n*\0"
          "example.com\na.example.com\nexample.org\napi.example.com\nother.test\n")
    write("sni_map", "invalid-patterns",
          "a.*.com\nexample.com:443\n10.0.0.1\n[::1]\n*.*\n\0example.com\n")
    write("sni_map", "long-labels",
          f"{'a' * 63}.example.com\n{'b' * 64}.example.com\n*.{'c' * 60}.test\0"
          f"{'a' * 63}.example.com\nx.{'c' * 60}.test\n{'d' * 250}\n")
    write("sni_map", "idn-and-case", "xn--bcher-kva.example\nWWW.Example.ORG\0"
                                    "XN--BCHER-KVA.EXAMPLE.\nbücher.example\n")
    path_seeds()


def path_seeds():
    """path_normalize: a request path, then optionally NUL and a service path."""
    write("path_normalize", "dot-segments", "/public/../admin")
    write("path_normalize", "encoded-dots", "/public/%2e%2E/admin/%2E")
    write("path_normalize", "above-root-refused", "/a/../../b")
    write("path_normalize", "encoded-slash", "/a/%2f/b%2F..%2Fc\0/service/")
    write("path_normalize", "merged-slashes", "//a///b//")
    write("path_normalize", "unreserved-and-other", "/%6B%6f%6e%67/%C3%A9t%C3%A9%20x/%7E")
    write("path_normalize", "bad-percent-refused", "/a%2/b%zz")
    write("path_normalize", "not-utf8-refused", "/%C3%28")
    write("path_normalize", "query-refused", "/a?b=/../c")
    write("path_normalize", "regex-route", "/b/x/./y/..\0/srv")
    write("path_normalize", "kong-complex", "/%C3%A4/a/%2e./a%2E//a/%2e/./a/../a/%2e%2E/%5f%2f%2F")

    pool_seeds()


def pool_seeds():
    """Chains as pools (the larger chain limit): `chain_pool` inputs (a flags byte, then the
    trust anchor, the leaf and the pool as concatenated DER) and a 64-certificate RFC 9440
    chain. Rewrites only the `hand-pool-*` seeds: `python3 fuzz/gen_seeds.py --pool-only`."""
    for target in ("chain_pool", "header_rfc9440"):
        for f in (SEEDS / target).glob("hand-pool-*"):
            f.unlink()
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = cert(name((NameOID.COMMON_NAME, "Pool Root")), root_key, ca=True,
                extra=[(x509.NameConstraints(
                    permitted_subtrees=[x509.RFC822Name("example.com"),
                                        x509.DNSName("example.com"),
                                        x509.UniformResourceIdentifier(".example.com")],
                    excluded_subtrees=[x509.RFC822Name("mallory@example.com"),
                                       x509.DirectoryName(name((NameOID.COMMON_NAME, "Mallory")))]),
                       True)])
    int_name = name((NameOID.COMMON_NAME, "Pool Issuing CA"))
    int_key = ec.generate_private_key(ec.SECP256R1())
    inter = cert(int_name, int_key, root, root_key, ca=True, pathlen=0)
    # Key rollover: the same name, a new key, signed by the old one (self-issued).
    rolled_key = ec.generate_private_key(ec.SECP256R1())
    rolled = cert(int_name, rolled_key, inter, int_key, ca=True, pathlen=0)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert(name((NameOID.COMMON_NAME, "pool client")), leaf_key, rolled, rolled_key,
                extra=[(x509.SubjectAlternativeName([
                    x509.RFC822Name("client@example.com"),
                    x509.DNSName("client.example.com"),
                    x509.UniformResourceIdentifier("https://client.example.com/id"),
                ]), False)])
    # Look-alikes of the issuer: its name, other keys.
    decoys = [cert(int_name, ec.generate_private_key(ec.SECP256R1()), root, root_key, ca=True)
              for _ in range(60)]
    pool = decoys + [inter, rolled, root]
    assert len(pool) + 1 == 64
    blob = lambda certs: b"".join(der(c) for c in certs)
    write("chain_pool", "pool-64", b"\x00" + der(root) + der(leaf) + blob(pool))
    write("chain_pool", "pool-rollover-strict", b"\x03" + der(root) + der(leaf) + blob([inter, rolled]))
    write("chain_pool", "pool-server-no-eku-check", b"\x0c" + der(root) + der(leaf) + blob([rolled, inter]))
    b64 = lambda c: base64.b64encode(der(c)).decode()
    chain = ", ".join(f":{b64(c)}:" for c in reversed(pool))
    write("header_rfc9440", "pool-64", f":{b64(leaf)}:\0{chain}")
    return root, leaf, pool


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--pool-only"]:
        pool_seeds()
    elif sys.argv[1:2] == ["--pool-pem"]:
        # Also writes the pool as PEM files (root.pem, chain.pem) to check it with mtls verify.
        out = pathlib.Path(sys.argv[2])
        r, l, p = pool_seeds()
        (out / "root.pem").write_bytes(pem(r))
        (out / "chain.pem").write_bytes(b"".join(pem(c) for c in [l] + p))
    else:
        main()
