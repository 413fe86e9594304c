"""Loss/metric curves of a training history as a PNG (matplotlib, Agg backend)."""

__all__ = ["plot_history"]


def plot_history(history, path, title=None):
    """history: list of per-epoch dicts ({"epoch", "loss", "val_loss", "accuracy", ...}). Returns path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    names = [k for k in history[-1] if k not in ("epoch", "lr", "time") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in history[-1]:
                ax.plot(epochs, [h.get(key, float("nan")) for h in history], marker="o", markersize=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
