#!/usr/bin/env python3
"""N clients at once: opens N connections to an echo server, and only once all are open
sends a distinct line on each and checks every echo. Prints "ok N" or the failures."""
import asyncio
import sys


async def main(host, port, n):
    conns = []
    for _ in range(n):
        conns.append(await asyncio.open_connection(host, port))

    async def talk(i, reader, writer):
        msg = f"client {i}\n".encode()
        writer.write(msg)
        await writer.drain()
        back = await asyncio.wait_for(reader.readexactly(len(msg)), 30)
        writer.close()
        return back == msg

    results = await asyncio.gather(
        *(talk(i, r, w) for i, (r, w) in enumerate(conns)), return_exceptions=True
    )
    bad = [r for r in results if r is not True]
    print("ok", n - len(bad) if bad else n, flush=True)
    if bad:
        print("failures:", bad[:5], flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
