"""Draws the latency distributions of a bench report (ingress and end to
end, the bare durable pipeline and each mix, at the offered rate) as
percentile curves on a log scale."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(report_path: str, out_path: str) -> None:
    with open(report_path) as f:
        report = json.load(f)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=False)
    for ax, key, title in ((axes[0], "ingress", "ingress (2xx answer)"), (axes[1], "e2e", "end to end (on Redis)")):
        runs = ([report["bare"]] if "bare" in report else []) + report["mixes"]
        for mix in runs:
            points = mix["latency_curves"][key]
            if not points:
                continue
            # x: 1 / (1 - percentile), so the tail gets the room.
            xs = [1.0 / max(1e-7, 1.0 - p / 100.0) for p, _ in points]
            ys = [ms for _, ms in points]
            ax.plot(xs, ys, label=mix["mix"])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [1, 2, 10, 100, 1000, 10000]
        ax.set_xticks(ticks)
        ax.set_xticklabels(["0", "50", "90", "99", "99.9", "99.99"])
        ax.set_xlabel("percentile")
        ax.set_ylabel("latency (ms)")
        ax.set_title(f"{title} at {report['offered_per_s']:.0f}/s offered")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(f"inlet-bench {report['date']} — {report['machine']}")
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
