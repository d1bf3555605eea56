"""SAMP round trips through pyvo's hub and through xrbvo's patched hub, in one run.

Registers a peer that answers every ``coord.pointAt.sky`` at once, sends N
synchronous calls through each hub, and prints the time per call and how many
answers the hub lost (the caller then waits for its 1 s time-out).

    python benchmarks/samp_roundtrip.py [N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyvo.samp import SAMPHubServer, SAMPIntegratedClient, conf

import xrbvo.vo.samp as samp
import xrbvo.vo.samp.hub as samp_hub


def run(hub_class, n: int) -> tuple[float, int]:
    samp_hub._HUB_CLASS = hub_class
    home = Path(tempfile.mkdtemp(prefix="xrbvo-bench-"))
    hub = samp.SampHub(lockfile=home / ".samp")
    hub.start()
    peer = SAMPIntegratedClient(name="peer", addr="127.0.0.1")
    try:
        with conf.set_temp("use_internet", False):
            peer.connect(hub_params=samp.find_hub(lockfile=hub.lockfile).params)

        def answer(private_key, sender_id, msg_id, mtype, params, extra):
            peer.reply(msg_id, {"samp.status": "samp.ok", "samp.result": {}})

        peer.bind_receive_call("coord.pointAt.sky", answer)
        lost = 0
        with samp.SampClient(lockfile=hub.lockfile) as client:
            t0 = time.perf_counter()
            for i in range(n):
                try:
                    client.point_at(float(i % 360), 0.0, to="peer", timeout_s=1)
                except samp.SampTimeoutError:
                    lost += 1
            elapsed = time.perf_counter() - t0
        return elapsed / n * 1e3, lost
    finally:
        peer.disconnect()
        hub.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=300, help="synchronous calls through each hub")
    n = ap.parse_args().n
    patched = samp_hub._hub_server_class()
    ms_pyvo, lost_pyvo = run(SAMPHubServer, n)
    ms_xrbvo, lost_xrbvo = run(patched, n)
    samp_hub._HUB_CLASS = patched
    print(f"{n} synchronous calls, peer answers at once, 1 s time-out")
    print(f"{'hub':<22}{'ms/call':>10}{'lost answers':>15}")
    print(f"{'pyvo SAMPHubServer':<22}{ms_pyvo:>10.1f}{lost_pyvo:>15d}")
    print(f"{'xrbvo samp hub':<22}{ms_xrbvo:>10.1f}{lost_xrbvo:>15d}")
    print(f"ratio ms/call xrbvo/pyvo: {ms_xrbvo / ms_pyvo:.2f}")


if __name__ == "__main__":
    main()
