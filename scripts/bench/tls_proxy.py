"""HTTPS in front of the DynamoDB-API server (moto), so the functions' cold
starts pay for TLS as they do against DynamoDB. Stdlib only.

It keeps each client's TLS connection open across requests, as DynamoDB
does, so a warm invocation reuses it. The moto server behind it answers
HTTP/1.0 and closes every connection (it serves one request at a time), so
each request gets its own upstream connection and its answer is sent back
reframed as HTTP/1.1 with a Content-Length.

Usage: tls_proxy.py LISTEN_PORT UPSTREAM_PORT CERT_PEM KEY_PEM
"""

import asyncio
import ssl
import sys

HOP_BY_HOP = (b"connection:", b"keep-alive:", b"content-length:", b"transfer-encoding:")


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked requests are not supported")  # the AWS SDK never sends them here
    return 0


async def forward(request: bytes, upstream_port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    writer.write(request)
    await writer.drain()
    response = await reader.read()  # HTTP/1.0: the answer ends with the connection
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status, *headers = head.split(b"\r\n")
    headers = [line for line in headers if not line.lower().startswith(HOP_BY_HOP)]
    status = b"HTTP/1.1" + status[len(b"HTTP/1.0"):]
    return b"\r\n".join([status, *headers, b"Content-Length: %d" % len(body), b"", b""]) + body


async def serve_client(reader, writer, upstream_port: int):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(content_length(head))
            writer.write(await forward(head + body, upstream_port))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass  # the client closed its connection
    finally:
        writer.close()


async def main():
    listen_port, upstream_port, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(
        lambda reader, writer: serve_client(reader, writer, upstream_port), "127.0.0.1", listen_port, ssl=context
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
