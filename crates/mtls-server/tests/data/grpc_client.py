"""A real gRPC client (grpcio) for crates/mtls-server/tests/grpc.rs.

Usage: grpc_client.py ADDR AUTHORITY ROOT_PEM [CERT_PEM KEY_PEM]

Calls /echo.Echo/Say (unary) and /echo.Echo/Chat (bidirectional streaming) with raw bytes as
messages (no generated stubs), over TLS with ALPN h2, the server name AUTHORITY, and the client
certificate if given. Prints one JSON object: the answers, the trailing metadata, or the
status code and details of a failed call.
"""
import json
import sys

import grpc


def main():
    addr, authority, root = sys.argv[1:4]
    cert = key = None
    if len(sys.argv) > 5:
        with open(sys.argv[4], "rb") as f:
            cert = f.read()
        with open(sys.argv[5], "rb") as f:
            key = f.read()
    with open(root, "rb") as f:
        creds = grpc.ssl_channel_credentials(
            root_certificates=f.read(), private_key=key, certificate_chain=cert
        )
    options = [
        ("grpc.ssl_target_name_override", authority),
        ("grpc.default_authority", authority),
    ]
    out = {}
    same = lambda b: b  # noqa: E731
    with grpc.secure_channel(addr, creds, options=options) as channel:
        say = channel.unary_unary(
            "/echo.Echo/Say", request_serializer=same, response_deserializer=same
        )
        chat = channel.stream_stream(
            "/echo.Echo/Chat", request_serializer=same, response_deserializer=same
        )
        try:
            answer, call = say.with_call(b"hi", timeout=10)
            out["unary"] = answer.decode()
            out["trailers"] = {k: v for k, v in call.trailing_metadata()}
        except grpc.RpcError as e:
            out["unary_error"] = [e.code().value[0], e.details()]
        try:
            answers = chat(iter([b"one", b"two", b"three"]), timeout=10)
            out["stream"] = [a.decode() for a in answers]
        except grpc.RpcError as e:
            out["stream_error"] = [e.code().value[0], e.details()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
